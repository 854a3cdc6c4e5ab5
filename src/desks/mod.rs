//! One-stop desks as citizens meet them: the signed URL of each desk (`qr`), its QR code and
//! its printable poster (`posters`). The desk rows themselves live in `db::desks`.

pub mod posters;
pub mod qr;
pub mod receipts;
