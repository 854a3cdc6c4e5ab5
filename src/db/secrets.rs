//! The local-mode signing key: generated once, kept in the database so QR codes stay valid
//! across restarts. Production passes `SIPAS_SECRET` instead.

use diesel::prelude::*;
use rand::RngCore;

use super::schema::app_secrets;

pub fn get_or_create(conn: &mut PgConnection, name: &str) -> QueryResult<Vec<u8>> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    diesel::insert_into(app_secrets::table)
        .values((app_secrets::name.eq(name), app_secrets::value.eq(&fresh)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    let value: String = app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .get_result(conn)?;
    Ok(value.into_bytes())
}
