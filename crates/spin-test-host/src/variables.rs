//! Application and component variables, resolved the way Spin resolves them.
//!
//! Spin keeps application `[variables]` (with `default`, `required`,
//! `secret`) and per-component `[component.X.variables]` templates such as
//! `"{{ auth_url }}/verify"`. A value comes from the first provider that has
//! one — runtime-config `variables_provider`s in order, then the environment
//! (`SPIN_VARIABLE_NAME`, which is also how `spin up --variable` passes
//! values) — and otherwise from the default. A variable with neither makes
//! Spin refuse to start ("no provider resolved required variable").
//!
//! Every provider this host supports is static, so everything is resolved
//! once at start-up; the guest-facing `get` then only looks values up.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, bail};

/// A `{{ name }}` template, split into literal and expression parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

/// Why a template, key or resolution failed; the variants mirror Spin's
/// `spin_expressions::Error` so the guest sees the same error kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableError {
    #[error("invalid variable name: {0}")]
    InvalidName(String),
    #[error("invalid variable template: {0}")]
    InvalidTemplate(String),
    #[error("provider error: {0}")]
    Provider(String),
    #[error("undefined variable: {0}")]
    Undefined(String),
}

impl Template {
    /// Parses `text`; like Spin, an expression runs from `{{` to the next
    /// `}}` and is trimmed, and an unmatched `{{` is an error.
    pub fn parse(text: &str) -> Result<Self, VariableError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after_open) = rest.strip_prefix("{{") {
                let Some((expr, after)) = after_open.split_once("}}") else {
                    return Err(VariableError::InvalidTemplate(
                        "unmatched '{{' in template".into(),
                    ));
                };
                parts.push(Part::Expr(expr.trim().to_string()));
                rest = after;
            } else {
                let end = rest.find("{{").unwrap_or(rest.len());
                parts.push(Part::Lit(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        Ok(Self { parts })
    }

    /// True when the template has no `{{ }}` expression.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The variable names the template refers to.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Substitutes every expression with `lookup`'s value.
    pub fn render<E>(
        &self,
        mut lookup: impl FnMut(&str) -> Result<String, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(l) => out.push_str(l),
                Part::Expr(e) => out.push_str(&lookup(e)?),
            }
        }
        Ok(out)
    }
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.parts {
            match part {
                Part::Lit(l) => f.write_str(l)?,
                Part::Expr(e) => write!(f, "{{{{ {e} }}}}")?,
            }
        }
        Ok(())
    }
}

/// Checks a variable name with Spin's rules (they keep names usable as
/// environment variables and file names): lower-case ASCII letters, digits
/// and single underscores, starting with a letter, ending with a letter or
/// digit.
pub fn validate_key(key: &str) -> Result<(), VariableError> {
    let reason = if key.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(VariableError::InvalidName(format!("{key:?}: {reason}"))),
        None => Ok(()),
    }
}

/// An application variable as declared in `spin.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppVariable {
    pub default: Option<String>,
    pub secret: bool,
}

/// All variable values of one app, resolved.
#[derive(Debug, Default)]
pub struct ResolvedVariables {
    /// Application variable name -> value.
    values: BTreeMap<String, String>,
    /// Component id -> component variable name -> value.
    components: HashMap<String, BTreeMap<String, String>>,
}

/// The sources of values, highest priority first.
#[derive(Debug, Default)]
pub struct Providers {
    /// Runtime-config `variables_provider` static tables, in file order.
    pub static_tables: Vec<BTreeMap<String, String>>,
    /// The environment tier: `--variable`, `SPIN_VARIABLE_*`, `.env`.
    pub environment: BTreeMap<String, String>,
}

impl Providers {
    fn lookup(&self, name: &str) -> Option<&String> {
        self.static_tables
            .iter()
            .find_map(|t| t.get(name))
            .or_else(|| self.environment.get(name))
    }
}

impl ResolvedVariables {
    /// Resolves every application variable and every component variable.
    ///
    /// Fails, as `spin up` does at start-up, when a variable has neither a
    /// provided value nor a default, or a component template names an
    /// undeclared variable.
    pub fn resolve<'a>(
        app: &BTreeMap<String, AppVariable>,
        components: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
        providers: &Providers,
    ) -> anyhow::Result<Self> {
        let mut values = BTreeMap::new();
        for (name, var) in app {
            validate_key(name)?;
            let value = match providers.lookup(name).or(var.default.as_ref()) {
                Some(v) => v.clone(),
                None => bail!(VariableError::Provider(format!(
                    "no provider resolved required variable {name:?}"
                ))),
            };
            values.insert(name.clone(), value);
        }
        let mut resolved = Self {
            values,
            components: HashMap::new(),
        };
        for (id, vars) in components {
            let mut out = BTreeMap::new();
            for (key, text) in vars {
                validate_key(key).with_context(|| format!("component {id:?} variable"))?;
                let template = Template::parse(text)
                    .with_context(|| format!("component {id:?} variable {key:?}"))?;
                let value = resolved
                    .render(&template)
                    .with_context(|| format!("component {id:?} variable {key:?}"))?;
                out.insert(key.clone(), value);
            }
            resolved.components.insert(id.to_string(), out);
        }
        Ok(resolved)
    }

    /// Renders a template against the application variables (what Spin does
    /// for `allowed_outbound_hosts` entries).
    pub fn render(&self, template: &Template) -> Result<String, VariableError> {
        template.render(|name| {
            self.values
                .get(name)
                .cloned()
                .ok_or_else(|| VariableError::InvalidTemplate(format!("unknown variable {name:?}")))
        })
    }

    /// What `fermyon:spin/variables.get` returns for `component_id`.
    pub fn get(&self, component_id: &str, key: &str) -> Result<String, VariableError> {
        validate_key(key)?;
        let Some(vars) = self.components.get(component_id) else {
            return Err(VariableError::Undefined(format!(
                "no variable for component {component_id:?}"
            )));
        };
        vars.get(key).cloned().ok_or_else(|| {
            VariableError::Undefined(format!("no variable for {component_id:?}.{key:?}"))
        })
    }
}

/// Renders a template with only the declared defaults; `None` when a
/// variable it uses has no default. Spin validates `allowed_outbound_hosts`
/// templates this way when it loads the manifest.
pub fn render_with_defaults(
    template: &Template,
    app: &BTreeMap<String, AppVariable>,
) -> Option<String> {
    template
        .render(|name| app.get(name).and_then(|v| v.default.clone()).ok_or(()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> BTreeMap<String, AppVariable> {
        BTreeMap::from([
            ("required".to_string(), AppVariable::default()),
            (
                "base".to_string(),
                AppVariable {
                    default: Some("http://auth.spin.internal".into()),
                    secret: false,
                },
            ),
        ])
    }

    #[test]
    fn templates_split_like_spin() {
        let t = Template::parse("a-{{ x }}-b{{y}}").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["x", "y"]);
        assert!(!t.is_literal());
        assert!(Template::parse("plain").unwrap().is_literal());
        assert!(Template::parse("").unwrap().is_literal());
        assert!(Template::parse("{{ open").is_err());
        assert_eq!(t.to_string(), "a-{{ x }}-b{{ y }}");
    }

    #[test]
    fn keys_follow_spin_rules() {
        for good in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3", "internal_api_key"] {
            validate_key(good).unwrap();
        }
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolution_order_is_static_then_environment_then_default() {
        let comp = BTreeMap::from([
            ("url".to_string(), "{{ base }}/verify".to_string()),
            ("key".to_string(), "{{ required }}".to_string()),
        ]);
        let mut providers = Providers::default();
        providers
            .environment
            .insert("required".into(), "from-env".into());
        let r = ResolvedVariables::resolve(&app(), [("c", &comp)], &providers).unwrap();
        assert_eq!(
            r.get("c", "url").unwrap(),
            "http://auth.spin.internal/verify"
        );
        assert_eq!(r.get("c", "key").unwrap(), "from-env");

        providers
            .environment
            .insert("base".into(), "http://x".into());
        providers.static_tables.push(BTreeMap::from([(
            "required".to_string(),
            "static".to_string(),
        )]));
        let r = ResolvedVariables::resolve(&app(), [("c", &comp)], &providers).unwrap();
        assert_eq!(r.get("c", "url").unwrap(), "http://x/verify");
        assert_eq!(r.get("c", "key").unwrap(), "static");
    }

    #[test]
    fn missing_required_variable_fails_start_up() {
        let err = ResolvedVariables::resolve(&app(), [], &Providers::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("no provider resolved required variable \"required\""),
            "{err}"
        );
    }

    #[test]
    fn unknown_template_variable_is_rejected() {
        let comp = BTreeMap::from([("x".to_string(), "{{ nope }}".to_string())]);
        let mut providers = Providers::default();
        providers.environment.insert("required".into(), "v".into());
        let err = ResolvedVariables::resolve(&app(), [("c", &comp)], &providers).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown variable \"nope\""),
            "{err:#}"
        );
    }

    #[test]
    fn guest_errors_match_spin() {
        let comp = BTreeMap::from([("x".to_string(), "1".to_string())]);
        let mut providers = Providers::default();
        providers.environment.insert("required".into(), "v".into());
        let r = ResolvedVariables::resolve(&app(), [("c", &comp)], &providers).unwrap();
        assert_eq!(
            r.get("c", "y").unwrap_err(),
            VariableError::Undefined("no variable for \"c\".\"y\"".into())
        );
        assert!(matches!(
            r.get("c", "Bad"),
            Err(VariableError::InvalidName(_))
        ));
        assert!(matches!(
            r.get("other", "x"),
            Err(VariableError::Undefined(_))
        ));
    }

    #[test]
    fn defaults_only_rendering() {
        let t = Template::parse("{{ base }}").unwrap();
        assert_eq!(
            render_with_defaults(&t, &app()).as_deref(),
            Some("http://auth.spin.internal")
        );
        let t = Template::parse("{{ required }}").unwrap();
        assert_eq!(render_with_defaults(&t, &app()), None);
    }
}
