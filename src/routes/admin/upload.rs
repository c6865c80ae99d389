//! A panel form that may carry a file: `multipart/form-data` (the post
//! editor with a picture) or a plain form, read the same way — fields into
//! a `FieldMap` with NULs removed, the CSRF token checked (`403`
//! otherwise), the file kept in memory up to the upload limit.

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use super::FieldMap;
use crate::error::PageError;
use crate::routes::staff::{AdminForm, CsrfForm, Staff};
use crate::uploads::MAX_UPLOAD_BYTES;

/// A text field of a multipart form may be this long.
const MAX_FIELD_BYTES: usize = 2 * 1024 * 1024;

/// A file sent with the form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The name on the sender's disk (only a hint for the stored name).
    pub name: String,
    pub bytes: Vec<u8>,
}

pub struct AdminUpload {
    pub staff: Staff,
    pub form: FieldMap,
    /// A chosen file, if any (an empty file input sends none).
    pub file: Option<UploadedFile>,
    /// The file was over the limit: not kept, the fields are.
    pub too_large: bool,
}

async fn read_multipart(
    mut multipart: Multipart,
) -> Result<(FieldMap, Option<UploadedFile>, bool), PageError> {
    let mut form = FieldMap::default();
    let mut file = None;
    let mut too_large = false;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| PageError::CsrfRejected)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .map(str::to_owned);
        let limit = if file_name.is_some() {
            MAX_UPLOAD_BYTES
        } else {
            MAX_FIELD_BYTES
        };
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| PageError::CsrfRejected)?;
            if over || bytes.len() + chunk.len() > limit {
                // Read to the end (the rest of the form follows), keep nothing.
                over = true;
                bytes.clear();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(file_name) => {
                too_large |= over;
                if !over && !bytes.is_empty() {
                    file = Some(UploadedFile {
                        name: file_name,
                        bytes,
                    });
                }
            }
            None if !over => {
                let text = String::from_utf8_lossy(&bytes);
                let (text, _) = crate::forms::strip_nul(&text);
                form.0.entry(name).or_insert(text);
            }
            None => return Err(PageError::CsrfRejected),
        }
    }
    Ok((form, file, too_large))
}

impl FromRequest for AdminUpload {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<AdminUpload, actix_web::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(request, &mut Payload::None);
        let is_multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        if !is_multipart {
            // A plain form is a panel form like any other.
            let form = AdminForm::<FieldMap>::from_request(request, payload);
            return Box::pin(async move {
                let AdminForm { staff, form } = form.await?;
                Ok(AdminUpload {
                    staff,
                    form,
                    file: None,
                    too_large: false,
                })
            });
        }
        let multipart = Multipart::new(request.headers(), payload.take());
        Box::pin(async move {
            let staff = staff.await?;
            let (form, file, too_large) = read_multipart(multipart).await?;
            if !staff.csrf_matches(form.csrf_token()) {
                return Err(PageError::CsrfRejected.into());
            }
            Ok(AdminUpload {
                staff,
                form,
                file,
                too_large,
            })
        })
    }
}
