//! A picture uploaded from the post editor: its kind decided by its content
//! (never its name), its metadata gone (a phone photo must not publish
//! where it was taken), turned upright, and stored at WordPress's paths with
//! WordPress's sizes (150×150 crop, 300, 768, 1024, 1536 wide).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::media_store::{MediaStore, MediaStoreError};
use crate::models::media::{MediaSize, NewMedia};

/// Uploads larger than this are refused with `413`.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Widths WordPress makes (medium, medium_large, large, 1536×1536), when
/// the original is wider.
const WIDTHS: [u32; 4] = [300, 768, 1024, 1536];
/// The square thumbnail.
const THUMBNAIL: u32 = 150;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("This file is not a JPEG, PNG, GIF or WebP picture, so it cannot be uploaded.")]
    NotAPicture,
    #[error("This picture could not be read; it may be damaged.")]
    Unreadable,
    #[error("This file is larger than 20 MB.")]
    TooLarge,
}

/// A picture ready to store: the original re-encoded without metadata, and
/// its smaller sizes.
pub struct Processed {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub original: Vec<u8>,
    /// (width, height, encoded bytes), smallest first.
    pub sizes: Vec<(u32, u32, Vec<u8>)>,
}

impl Processed {
    pub fn extension(&self) -> &'static str {
        match self.format {
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
            ImageFormat::WebP => "webp",
            _ => "jpg",
        }
    }

    pub fn mime(&self) -> &'static str {
        match self.format {
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::WebP => "image/webp",
            _ => "image/jpeg",
        }
    }
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, UploadError> {
    let mut bytes = Cursor::new(Vec::new());
    let written = match format {
        ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 88);
            image.to_rgb8().write_with_encoder(encoder)
        }
        ImageFormat::WebP => image.to_rgba8().write_to(&mut bytes, ImageFormat::WebP),
        other => image.write_to(&mut bytes, other),
    };
    written.map_err(|_| UploadError::Unreadable)?;
    Ok(bytes.into_inner())
}

/// Decodes, turns upright, and re-encodes a picture and its sizes. Takes
/// CPU in proportion to the picture: call it off the async threads.
pub fn process(bytes: &[u8]) -> Result<Processed, UploadError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| UploadError::NotAPicture)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP
    ) {
        return Err(UploadError::NotAPicture);
    }
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|_| UploadError::Unreadable)?;
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| UploadError::Unreadable)?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    let (width, height) = (picture.width(), picture.height());
    // A GIF keeps its own bytes (its frames; GIF carries no camera data);
    // everything else is written anew, which leaves every metadata block behind.
    let original = match format {
        ImageFormat::Gif => bytes.to_vec(),
        other => encode(&picture, other)?,
    };
    let stored_format = format;
    let resized_format = match format {
        ImageFormat::Gif => ImageFormat::Png,
        other => other,
    };
    let mut sizes = Vec::new();
    if width > THUMBNAIL || height > THUMBNAIL {
        let square =
            picture.resize_to_fill(THUMBNAIL, THUMBNAIL, image::imageops::FilterType::Triangle);
        sizes.push((THUMBNAIL, THUMBNAIL, encode(&square, resized_format)?));
    }
    for target in WIDTHS.into_iter().filter(|target| *target < width) {
        let target_height =
            (u64::from(height) * u64::from(target) / u64::from(width)).max(1) as u32;
        let smaller =
            picture.resize_exact(target, target_height, image::imageops::FilterType::Triangle);
        sizes.push((target, target_height, encode(&smaller, resized_format)?));
    }
    Ok(Processed {
        format: stored_format,
        width,
        height,
        original,
        sizes,
    })
}

/// A file name's stem as WordPress would keep it: lower case ASCII letters,
/// digits and hyphens.
fn file_stem(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let slug = crate::domain::Slug::from_text(stem)
        .map(crate::domain::Slug::into_string)
        .unwrap_or_default();
    let ascii: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let ascii = ascii.trim_matches('-').to_owned();
    if ascii.is_empty() {
        "image".to_owned()
    } else {
        ascii.chars().take(80).collect()
    }
}

/// Writes the picture under `YYYY/MM/` in the media store with a name no
/// other file there has, and its sizes beside it; what to record in the
/// library.
pub async fn store(
    media: &MediaStore,
    processed: Processed,
    file_name: &str,
    alt: &str,
    at: i64,
) -> Result<NewMedia, MediaStoreError> {
    let date = crate::render::text::datetime(at);
    let folder = date.format("%Y/%m").to_string();
    let extension = processed.extension();
    let mime = processed.mime();
    let stem = file_stem(file_name);
    let mut name = stem.clone();
    let mut suffix = 2;
    while media
        .exists(&format!("{folder}/{name}.{extension}"))
        .await?
    {
        name = format!("{stem}-{suffix}");
        suffix += 1;
    }
    let path = format!("{folder}/{name}.{extension}");
    let byte_size = processed.original.len() as i64;
    media.put(&path, processed.original).await?;
    let size_extension = match processed.format {
        ImageFormat::Gif => "png",
        _ => extension,
    };
    let mut sizes = Vec::new();
    for (width, height, bytes) in processed.sizes {
        let file = format!("{name}-{width}x{height}.{size_extension}");
        media.put(&format!("{folder}/{file}"), bytes).await?;
        sizes.push(MediaSize {
            file,
            width: i64::from(width),
            height: i64::from(height),
        });
    }
    Ok(NewMedia {
        path,
        mime: mime.to_owned(),
        width: Some(i64::from(processed.width)),
        height: Some(i64::from(processed.height)),
        byte_size,
        title: stem,
        alt: alt.trim().to_owned(),
        caption: String::new(),
        sizes,
        post_id: None,
        wp_id: None,
        wp_path: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = DynamicImage::new_rgb8(width, height);
        let mut bytes = Cursor::new(Vec::new());
        picture.write_to(&mut bytes, ImageFormat::Png).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn the_kind_comes_from_the_content_and_only_pictures_pass() {
        assert_eq!(
            process(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>").err(),
            Some(UploadError::NotAPicture)
        );
        assert_eq!(
            process(b"<!DOCTYPE html><script>alert(1)</script>").err(),
            Some(UploadError::NotAPicture)
        );
        let processed = process(&png(40, 20)).unwrap();
        assert_eq!(
            (processed.extension(), processed.width, processed.height),
            ("png", 40, 20)
        );
        assert!(processed.sizes.is_empty(), "nothing smaller to make");
    }

    #[test]
    fn wordpress_sizes_are_made_when_the_picture_is_wider() {
        let processed = process(&png(1200, 800)).unwrap();
        let sizes: Vec<(u32, u32)> = processed.sizes.iter().map(|(w, h, _)| (*w, *h)).collect();
        assert_eq!(sizes, [(150, 150), (300, 200), (768, 512), (1024, 682)]);
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(file_stem("My Holiday Photo (1).JPG"), "my-holiday-photo-1");
        assert_eq!(file_stem("睡眠.png"), "image");
        assert_eq!(file_stem("../../etc/passwd.png"), "passwd");
    }
}
