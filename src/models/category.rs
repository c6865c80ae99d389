//! Categories, and "Uncategorized", where a post without one is filed.

use diesel::prelude::*;

use crate::db::schema::categories;
use crate::db::AnyConnection;
use crate::domain::Slug;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
}

impl Category {
    pub fn path(&self) -> String {
        format!("/category/{}/", self.slug)
    }
}

pub const UNCATEGORIZED_SLUG: &str = "uncategorized";

/// Creates a category named `name`; its slug is derived from the name unless
/// given, with `-2`, `-3`… appended on a clash.
pub fn create_category(
    conn: &mut AnyConnection,
    name: &str,
    slug: Option<&Slug>,
    description: &str,
) -> QueryResult<Category> {
    let base = match slug {
        Some(slug) => slug.clone(),
        None => Slug::from_text(name).unwrap_or_else(|_| Slug::fallback("category")),
    };
    conn.transaction(|conn| {
        let slug = free_slug(conn, &base)?;
        diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(slug.as_str()),
                categories::name.eq(name.trim()),
                categories::description.eq(description.trim()),
            ))
            .execute(conn)?;
        find_category_by_slug(conn, slug.as_str())?.ok_or(diesel::result::Error::NotFound)
    })
}

fn free_slug(conn: &mut AnyConnection, base: &Slug) -> QueryResult<Slug> {
    let mut candidate = base.clone();
    let mut suffix = 2;
    while find_category_by_slug(conn, candidate.as_str())?.is_some() {
        candidate = base.with_suffix(suffix);
        suffix += 1;
    }
    Ok(candidate)
}

pub fn find_category_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::slug.eq(slug))
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// The "Uncategorized" category, created the first time it is needed.
pub fn uncategorized(conn: &mut AnyConnection) -> QueryResult<Category> {
    if let Some(category) = find_category_by_slug(conn, UNCATEGORIZED_SLUG)? {
        return Ok(category);
    }
    let inserted = diesel::insert_into(categories::table)
        .values((
            categories::slug.eq(UNCATEGORIZED_SLUG),
            categories::name.eq("Uncategorized"),
            categories::description.eq(""),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(error) if crate::models::is_unique_violation(&error) => {}
        Err(error) => return Err(error),
    }
    find_category_by_slug(conn, UNCATEGORIZED_SLUG)?.ok_or(diesel::result::Error::NotFound)
}

pub fn all_categories(conn: &mut AnyConnection) -> QueryResult<Vec<Category>> {
    categories::table
        .order(categories::name.asc())
        .select(Category::as_select())
        .load(conn)
}
