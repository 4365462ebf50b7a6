//! `bucketpress new` and `bucketpress post`: a new site, a new post ([`bucketpress::scaffold`]).

use std::path::Path;

use bucketpress::report::{Exit, Reporter, stdout_line};

/// Runs `new`: creates a site with a sample post in `dir`.
pub fn new_site(dir: &Path, reporter: Reporter) -> anyhow::Result<Exit> {
    bucketpress::scaffold::create_site(dir)?;
    reporter.status(format!(
        "created a new site in {0}\nnext: bucketpress build --site {0}",
        dir.display()
    ));
    Ok(Exit::Ok)
}

/// Runs `post`: creates a post from its title and prints its path.
pub fn new_post(site: &Path, title: &str, tags: &[String], draft: bool) -> anyhow::Result<Exit> {
    let path = bucketpress::scaffold::create_post(site, title, tags, draft)?;
    stdout_line(path.display());
    Ok(Exit::Ok)
}
