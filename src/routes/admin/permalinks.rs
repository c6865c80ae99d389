//! `/admin/settings/permalinks`: Settings > Permalinks as WordPress has
//! it — Day and name, Month and name, Numeric, Post name, or a custom
//! structure of WordPress's tags. Changing it moves every post to its new
//! address and keeps each earlier one answering with a `301`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{
    admin_page_with_status, see_other, with_notice, AdminLayout, FieldMap, Notice, NoticeQuery,
};
use crate::domain::permalink::{PermalinkStructure, TermBases, PRESETS};
use crate::domain::FieldErrors;
use crate::error::PageError;
use crate::models::setting::{content_changed, get_setting, keys, set_setting};
use crate::routes::staff::{AdminForm, Staff};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/permalinks.html")]
struct PermalinksPage {
    layout: AdminLayout,
    /// The structure as chosen or typed.
    structure: String,
    /// The bases as typed (empty: WordPress's `category` and `tag`).
    category_base: String,
    tag_base: String,
    errors: FieldErrors,
    site_url: String,
}

impl PermalinksPage {
    fn presets(&self) -> &'static [(&'static str, &'static str)] {
        &PRESETS
    }

    /// Whether the structure is none of the presets.
    fn is_custom(&self) -> bool {
        !PRESETS.iter().any(|(_, preset)| *preset == self.structure)
    }

    /// What a post's address looks like in `structure`.
    fn example(&self, structure: &str) -> String {
        format!(
            "{}{}",
            self.site_url,
            structure
                .replace("%year%", "2024")
                .replace("%monthnum%", "03")
                .replace("%day%", "14")
                .replace("%hour%", "09")
                .replace("%minute%", "30")
                .replace("%second%", "00")
                .replace("%post_id%", "123")
                .replace("%postname%", "sample-post")
                .replace("%category%", "uncategorized")
                .replace("%author%", "admin")
        )
    }
}

/// What the screen shows: the structure, and the two bases.
struct Chosen {
    structure: String,
    category_base: String,
    tag_base: String,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    chosen: Chosen,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let layout = AdminLayout::new(state, staff, "Permalink Settings", "Settings")
        .await?
        .with_notice(notice);
    admin_page_with_status(
        &PermalinksPage {
            layout,
            structure: chosen.structure,
            category_base: chosen.category_base,
            tag_base: chosen.tag_base,
            errors,
            site_url: state.config.site_url.trim_end_matches('/').to_owned(),
        },
        status,
    )
}

pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let structure = state
        .db(|conn| get_setting(conn, keys::PERMALINK_STRUCTURE))
        .await?
        .unwrap_or_else(|| crate::domain::permalink::DAY_AND_NAME.to_owned());
    let bases = state.site().bases.clone();
    // WordPress shows its own bases as empty fields.
    let shown = |base: &str, default: &str| {
        if base == default {
            String::new()
        } else {
            base.to_owned()
        }
    };
    let chosen = Chosen {
        structure,
        category_base: shown(bases.category_base(), "category"),
        tag_base: shown(bases.tag_base(), "tag"),
    };
    page(
        &state,
        &staff,
        chosen,
        FieldErrors::new(),
        notice.text(),
        StatusCode::OK,
    )
    .await
}

/// The structure chosen: a preset's radio, or "custom" and the text typed.
fn chosen_structure(form: &FieldMap) -> String {
    match form.text("selection").as_str() {
        "custom" => form.text("permalink_structure"),
        preset => preset.to_owned(),
    }
}

pub async fn save(
    state: web::Data<AppState>,
    form: AdminForm<FieldMap>,
) -> Result<HttpResponse, PageError> {
    let staff = form.staff;
    let typed = Chosen {
        structure: chosen_structure(&form.form),
        category_base: form.form.text("category_base"),
        tag_base: form.form.text("tag_base"),
    };
    let mut errors = FieldErrors::new();
    let structure = PermalinkStructure::parse(&typed.structure)
        .map_err(|error| errors.push(("permalink_structure", error.message())))
        .ok();
    let bases = TermBases::parse(&typed.category_base, &typed.tag_base)
        .map_err(|error| errors.push(error))
        .ok();
    let (Some(structure), Some(bases)) = (structure, bases) else {
        return page(
            &state,
            &staff,
            typed,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                content_changed(conn)?;
                set_setting(conn, keys::PERMALINK_STRUCTURE, structure.as_str())?;
                set_setting(conn, keys::CATEGORY_BASE, bases.category_base())?;
                set_setting(conn, keys::TAG_BASE, bases.tag_base())?;
                crate::models::post_address::rebuild_addresses(conn, true)
            })
        })
        .await?;
    state.reload_site().await?;
    Ok(see_other(&with_notice(
        "/admin/settings/permalinks",
        Notice::SettingsSaved,
        1,
    )))
}
