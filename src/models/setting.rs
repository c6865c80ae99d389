//! Site settings as key/value rows, and the site's typed view of them.

use diesel::prelude::*;
use rand::RngCore;

use crate::db::schema::settings;
use crate::db::AnyConnection;
use crate::models::is_unique_violation;

/// The key under which a generated secret is kept.
const SECRET_KEY: &str = "secret_key";

pub fn get_setting(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Sets a value, inserting or replacing its row.
pub fn set_setting(conn: &mut AnyConnection, key: &str, value: &str) -> QueryResult<()> {
    conn.transaction(|conn| {
        let updated = diesel::update(settings::table.find(key))
            .set(settings::value.eq(value))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(settings::table)
                .values((settings::key.eq(key), settings::value.eq(value)))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The secret that signs cookies and links: the configured one, or one
/// generated on first start and kept, so links survive restarts. Two processes
/// starting at once agree: the loser of the insert reads the winner's key.
pub fn secret_key(conn: &mut AnyConnection, configured: Option<&str>) -> QueryResult<String> {
    if let Some(key) = configured {
        return Ok(key.to_owned());
    }
    if let Some(key) = get_setting(conn, SECRET_KEY)? {
        return Ok(key);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let generated = hex::encode(bytes);
    match diesel::insert_into(settings::table)
        .values((settings::key.eq(SECRET_KEY), settings::value.eq(&generated)))
        .execute(conn)
    {
        Ok(_) => Ok(generated),
        Err(error) if is_unique_violation(&error) => {
            get_setting(conn, SECRET_KEY)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(error) => Err(error),
    }
}

/// What every reader page shows about the site, read from settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    pub title: String,
    pub tagline: String,
    pub posts_per_page: i64,
}

impl SiteSettings {
    pub const DEFAULT_TITLE: &'static str = "ferropress";
    pub const DEFAULT_TAGLINE: &'static str = "Just another ferropress site";
    pub const DEFAULT_POSTS_PER_PAGE: i64 = 10;

    /// The settings of a site nobody has configured yet.
    pub fn load_defaults() -> SiteSettings {
        SiteSettings {
            title: Self::DEFAULT_TITLE.to_owned(),
            tagline: Self::DEFAULT_TAGLINE.to_owned(),
            posts_per_page: Self::DEFAULT_POSTS_PER_PAGE,
        }
    }

    pub fn load(conn: &mut AnyConnection) -> QueryResult<SiteSettings> {
        let rows: Vec<(String, String)> = settings::table
            .filter(settings::key.eq_any(["site_title", "tagline", "posts_per_page"]))
            .select((settings::key, settings::value))
            .load(conn)?;
        let mut site = Self::load_defaults();
        for (key, value) in rows {
            match key.as_str() {
                "site_title" => site.title = value,
                "tagline" => site.tagline = value,
                "posts_per_page" => {
                    site.posts_per_page = value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .unwrap_or(Self::DEFAULT_POSTS_PER_PAGE)
                }
                _ => {}
            }
        }
        Ok(site)
    }
}
