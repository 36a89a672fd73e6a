//! Swagger UI's files, unpacked by build.rs from the pinned npm tarball.

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The swagger-ui-dist version the files come from; part of their URLs, so
/// that they can be cached for good.
pub const VERSION: &str = env!("SWAGGER_UI_VERSION");

pub fn find(name: &str) -> Option<&'static Asset> {
    FILES.iter().find(|asset| asset.name == name)
}
