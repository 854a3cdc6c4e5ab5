//! `sipas serve`: the web application, until stopped.

use anyhow::{Context, Result};

use crate::config::Settings;
use crate::db;
use crate::desks::qr;
use crate::startup::{Application, Prepared};

/// Serves; with `prepared` (the demo), first prints a desk's form and poster links.
pub fn run(settings: Settings, prepared: Option<Prepared>) -> Result<()> {
    let app = Application::build(settings.clone())?;
    let mut shown = settings.clone();
    shown.bind.set_port(app.port());
    if let Some(p) = prepared {
        print_links(&shown, &p)?;
    }
    println!("serving on http://{}", shown.bind);
    app.run_until_stopped()
        .context("the server stopped with an error")
}

/// The first desk's form and poster URLs, so a person trying the demo has somewhere to click.
pub fn print_links(settings: &Settings, prepared: &Prepared) -> Result<()> {
    let mut conn = db::connect(&prepared.database_url)?;
    if let Some(desk) = db::desks::list_active(&mut conn, None)?.into_iter().next() {
        let base = settings.public_base();
        println!("desk form:   {}", qr::desk_url(&base, &desk, &prepared.key));
        println!("desk poster: {base}/admin/desks/{}/poster", desk.id);
    }
    Ok(())
}
