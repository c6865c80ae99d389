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
use crate::domain::permalink::{PermalinkStructure, PRESETS};
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

async fn page(
    state: &AppState,
    staff: &Staff,
    structure: String,
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
            structure,
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
    page(
        &state,
        &staff,
        structure,
        FieldErrors::new(),
        notice.text(),
        StatusCode::OK,
    )
    .await
}

/// The structure chosen: a preset's radio, or "custom" and the text typed.
fn chosen(form: &FieldMap) -> String {
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
    let typed = chosen(&form.form);
    let structure = match PermalinkStructure::parse(&typed) {
        Ok(structure) => structure,
        Err(error) => {
            let errors = FieldErrors::one("permalink_structure", error.message());
            return page(
                &state,
                &staff,
                typed,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                content_changed(conn)?;
                set_setting(conn, keys::PERMALINK_STRUCTURE, structure.as_str())?;
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
