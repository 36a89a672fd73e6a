//! Spin's HTTP routing, built on the same `routefinder` crate Spin uses so
//! that precedence is identical: exact segments beat `:name` parameters,
//! which beat the trailing wildcard (`/prefix/...`); the longest, most
//! specific route wins. Private routes are left out of the router: they are
//! reachable only through service chaining.

use std::fmt;

use anyhow::anyhow;

use crate::manifest::{HttpTrigger, Route};

/// The HTTP router of one app.
pub struct Router {
    inner: routefinder::Router<Handler>,
}

#[derive(Clone, Debug)]
struct Handler {
    component_id: String,
    /// The route as written in the manifest (Spin's "raw route").
    raw_route: String,
    /// The route normalised against the base `/` (Spin's "based route").
    based_route: String,
    /// Printable form: `/auth (wildcard)` or `/exact`.
    display: String,
}

/// Two triggers with the same route: the later one wins, as in Spin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRoute {
    pub route: String,
    pub replaced_id: String,
    pub effective_id: String,
}

/// What a path matched, with everything Spin derives its headers from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component_id: String,
    /// The route as written (`/auth/...`).
    pub raw_route: String,
    /// The route normalised (leading `/`, one trailing `/` dropped), which
    /// Spin reports in `spin-matched-route`.
    pub based_route: String,
    /// The part of the path the trailing wildcard matched (`/login`).
    pub path_info: String,
    /// `:name` segments and their values.
    pub named_wildcards: Vec<(String, String)>,
}

impl RouteMatch {
    /// The match Spin synthesizes for a service-chaining request: as if the
    /// whole path had matched a `/...` route of `component_id`.
    pub fn synthetic(component_id: &str, path: &str) -> Self {
        Self {
            component_id: component_id.to_string(),
            raw_route: "/...".to_string(),
            based_route: "/...".to_string(),
            path_info: path.to_string(),
            named_wildcards: Vec::new(),
        }
    }

    /// The route without its trailing `/...` (`spin-component-route`).
    pub fn raw_route_or_prefix(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

impl Router {
    /// Builds the router from the app's HTTP triggers.
    pub fn build<'a>(
        triggers: impl IntoIterator<Item = &'a HttpTrigger>,
    ) -> anyhow::Result<(Self, Vec<DuplicateRoute>)> {
        let mut by_route: Vec<(String, String)> = Vec::new();
        let mut duplicates = Vec::new();
        for trigger in triggers {
            let Route::Path(raw) = &trigger.route else {
                continue;
            };
            if let Some(existing) = by_route.iter_mut().find(|(r, _)| r == raw) {
                duplicates.push(DuplicateRoute {
                    route: raw.clone(),
                    replaced_id: existing.1.clone(),
                    effective_id: trigger.component.clone(),
                });
                existing.1 = trigger.component.clone();
            } else {
                by_route.push((raw.clone(), trigger.component.clone()));
            }
        }

        let mut inner = routefinder::Router::new();
        for (raw, component_id) in by_route {
            let based = sanitize(&raw);
            let (spec, display) = if let Some(prefix) = based.strip_suffix("/...") {
                (format!("{prefix}/*"), format!("{prefix} (wildcard)"))
            } else if let Some(prefix) = based.strip_suffix("/*") {
                (based.clone(), format!("{prefix} (wildcard)"))
            } else {
                (based.clone(), based.clone())
            };
            inner
                .add(
                    spec.as_str(),
                    Handler {
                        component_id: component_id.clone(),
                        raw_route: raw.clone(),
                        based_route: based.clone(),
                        display,
                    },
                )
                .map_err(|e| {
                    anyhow!(
                        "Error parsing route {based} associated with component {component_id}: {e}"
                    )
                })?;
        }
        Ok((Self { inner }, duplicates))
    }

    /// The best match for `path`, or `None` (Spin answers 404).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let m = self.inner.best_match(path)?;
        let handler = m.handler();
        let captures = m.captures();
        // Spin keeps trailing slashes in the path info where routefinder
        // drops them.
        let path_info = match captures.wildcard() {
            Some(s) => match (s.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{s}"),
                (false, true) => format!("/{s}/"),
            },
            None => String::new(),
        };
        Some(RouteMatch {
            component_id: handler.component_id.clone(),
            raw_route: handler.raw_route.clone(),
            based_route: handler.based_route.clone(),
            path_info,
            named_wildcards: captures
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    /// `(printable route, component id)` in routing order, for the
    /// start-up banner.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .iter()
            .map(|(_, h)| (h.display.as_str(), h.component_id.as_str()))
    }
}

/// Spin prefixes `/` when missing and strips one trailing slash.
fn sanitize(route: &str) -> String {
    let route = if route.starts_with('/') {
        route.to_string()
    } else {
        format!("/{route}")
    };
    match route.strip_suffix('/') {
        Some(r) => r.to_string(),
        None => route,
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.routes()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let triggers: Vec<HttpTrigger> = routes
            .iter()
            .map(|(c, r)| HttpTrigger {
                component: c.to_string(),
                route: if *r == "private" {
                    Route::Private
                } else {
                    Route::Path(r.to_string())
                },
            })
            .collect();
        Router::build(&triggers).unwrap().0
    }

    fn id(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component_id)
    }

    #[test]
    fn prefix_wildcards_match_the_prefix_and_below_only() {
        let r = router(&[("auth", "/auth/..."), ("docs", "/docs/...")]);
        assert_eq!(id(&r, "/auth").as_deref(), Some("auth"));
        assert_eq!(id(&r, "/auth/login").as_deref(), Some("auth"));
        assert_eq!(id(&r, "/auth/a/b/c").as_deref(), Some("auth"));
        assert_eq!(id(&r, "/authx"), None);
        assert_eq!(id(&r, "/"), None);
        assert_eq!(id(&r, "/other/auth"), None);
    }

    #[test]
    fn path_info_keeps_trailing_slashes() {
        let r = router(&[("c", "/test/...")]);
        assert_eq!(r.route("/test").unwrap().path_info, "");
        assert_eq!(r.route("/test/").unwrap().path_info, "/");
        assert_eq!(r.route("/test/hello").unwrap().path_info, "/hello");
        assert_eq!(r.route("/test/hello/").unwrap().path_info, "/hello/");
        let root = router(&[("c", "/...")]);
        assert_eq!(root.route("/1/2/3").unwrap().path_info, "/1/2/3");
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[
            ("one", "/one/..."),
            ("onetwothree", "/one/two/three/..."),
            ("onetwo", "/one/two/..."),
            ("exact", "/one/two"),
            ("all", "/..."),
        ]);
        assert_eq!(
            id(&r, "/one/two/three/four").as_deref(),
            Some("onetwothree")
        );
        assert_eq!(id(&r, "/one/two/x").as_deref(), Some("onetwo"));
        assert_eq!(id(&r, "/one/two").as_deref(), Some("exact"));
        assert_eq!(id(&r, "/one/x").as_deref(), Some("one"));
        assert_eq!(id(&r, "/zzz").as_deref(), Some("all"));
    }

    #[test]
    fn named_segments_are_captured() {
        let r = router(&[("c", "/users/:id/...")]);
        let m = r.route("/users/42/notes").unwrap();
        assert_eq!(m.named_wildcards, [("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "/notes");
        assert_eq!(m.raw_route_or_prefix(), "/users/:id");
    }

    #[test]
    fn private_routes_are_not_routable_and_duplicates_last_wins() {
        let triggers = vec![
            HttpTrigger {
                component: "a".into(),
                route: Route::Path("/x".into()),
            },
            HttpTrigger {
                component: "b".into(),
                route: Route::Path("/x".into()),
            },
            HttpTrigger {
                component: "p".into(),
                route: Route::Private,
            },
        ];
        let (r, dups) = Router::build(&triggers).unwrap();
        assert_eq!(id(&r, "/x").as_deref(), Some("b"));
        assert_eq!(dups[0].replaced_id, "a");
        assert!(r.routes().all(|(_, c)| c != "p"));
    }

    #[test]
    fn synthetic_matches_for_chaining() {
        let m = RouteMatch::synthetic("auth", "/auth/verify");
        assert_eq!(m.raw_route, "/...");
        assert_eq!(m.raw_route_or_prefix(), "");
        assert_eq!(m.path_info, "/auth/verify");
    }
}
