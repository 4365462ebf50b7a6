//! Loading a session's sources, as far as an edit needs: site.toml, the templates and the list
//! of files; Markdown documents and assets, each read again only when its file's stamp (size
//! and modification time) changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::{CachedDoc, Reload, Session, Sources, sorted};
use crate::config::{CONFIG_FILE, Config};
use crate::content::load::{STREAM_THRESHOLD, read_doc};
use crate::content::{Doc, Filter, Scan, SourceAsset, scan};
use crate::error::{BuildErrors, Diagnostic, Problem};
use crate::outputs::{Body, Output, OutputKind, hash_file};
use crate::templates::Templates;

/// Size and modification time: a file whose stamp is unchanged is not read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    pub(super) fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

impl Session {
    /// Reads site.toml, the templates and the list of source files, as far as `reload` says,
    /// keeping the rest from the last load. Only a load without errors is kept.
    pub(super) fn load_sources(&mut self, reload: Reload) -> Result<Arc<Sources>, BuildErrors> {
        let site_dir = self.site_dir.clone();
        let relative = |d: Diagnostic| d.relative_to(&site_dir);
        let (config_text, config, warnings) = match &self.sources {
            Some(s) if !reload.everything => {
                (s.config_text.clone(), s.config.clone(), s.warnings.clone())
            }
            _ => {
                self.sources = None;
                let config_path = site_dir.join(CONFIG_FILE);
                let text =
                    Config::read_text(&site_dir).map_err(|d| BuildErrors(vec![relative(d)]))?;
                let loaded = Config::parse(&config_path, &text)
                    .map_err(|d| BuildErrors(vec![relative(d)]))?;
                let mut config = loaded.config;
                if let Some(url) = &self.opts.base_url {
                    config.base_url = url.clone();
                }
                let warnings = loaded.warnings.into_iter().map(relative).collect();
                (text, config, warnings)
            }
        };
        let kept = self.sources.take();
        let (templates, scan) = rayon::join(
            || match &kept {
                Some(s) if !reload.templates => Ok(s.templates.clone()),
                _ => Templates::load(&site_dir).map(Arc::new),
            },
            || match &kept {
                Some(s) if !reload.file_list => Ok(s.scan.clone()),
                _ => self.scan(&config),
            },
        );
        let mut errors = Vec::new();
        let templates = templates.map_err(|e| errors.extend(e));
        let scan = scan.map_err(|e| errors.extend(e));
        let (Ok(templates), Ok(scan)) = (templates, scan) else {
            return Err(sorted(errors));
        };
        let sources = Arc::new(Sources {
            config_text,
            config,
            warnings,
            templates,
            scan,
        });
        self.sources = Some(sources.clone());
        Ok(sources)
    }

    /// Lists the source files.
    fn scan(&self, config: &Config) -> Result<Arc<Scan>, Vec<Diagnostic>> {
        let filter = Filter::new(&config.exclude).with_jekyll(config.content.jekyll);
        let mut found = scan(&self.site_dir, &filter);
        if filter.reads_jekyll_layout(&self.site_dir) {
            found
                .warnings
                .extend(jekyll_config_hints(&self.site_dir, config, &found));
        }
        if found.errors.is_empty() {
            Ok(Arc::new(found))
        } else {
            Err(std::mem::take(&mut found.errors))
        }
    }

    /// Parses the Markdown files whose stamp changed; reuses the rest, updating the cache in
    /// place. With `only`, the files not named there are taken as unchanged and not stat-ed.
    pub(super) fn load_docs(
        &mut self,
        markdown: &[(PathBuf, String)],
        only: Option<&[String]>,
        errors: &mut Vec<Diagnostic>,
    ) -> Vec<Arc<Doc>> {
        let site_dir = &self.site_dir;
        let options = &self.content_options;
        let cached = &self.docs;
        let release_bodies = self.single;
        // `None`: the cached document stands, its file not even stat-ed.
        let fresh: Vec<Option<CachedDoc>> = markdown
            .par_iter()
            .map(|(path, rel)| {
                if only.is_some_and(|only| !only.contains(rel)) && cached.contains_key(rel) {
                    return None;
                }
                let stamp = Stamp::of(path).unwrap_or(Stamp {
                    modified: None,
                    len: u64::MAX,
                });
                if let Some((old, doc)) = cached.get(rel)
                    && *old == stamp
                    && stamp.modified.is_some()
                {
                    return Some((stamp, doc.clone()));
                }
                let doc = read_doc(path, rel, options);
                // A one-shot render reads each body back when it renders its Markdown, so
                // the site's bodies are never all held at once.
                let doc = doc.map(|mut d| {
                    if release_bodies {
                        d.release_body(path);
                    }
                    Arc::new(d)
                });
                let doc = doc.map_err(|e| {
                    e.into_iter()
                        .map(|d| d.relative_to(site_dir))
                        .collect::<Vec<_>>()
                });
                Some((stamp, doc))
            })
            .collect();
        let mut docs = Vec::with_capacity(fresh.len());
        for ((_, rel), fresh) in markdown.iter().zip(fresh) {
            let entry = match fresh {
                Some(entry) => match self.docs.get_mut(rel) {
                    Some(slot) => {
                        *slot = entry;
                        &*slot
                    }
                    None => self.docs.entry(rel.clone()).or_insert(entry),
                },
                None => &self.docs[rel],
            };
            match &entry.1 {
                Ok(d) => docs.push(Arc::clone(d)),
                Err(e) => errors.extend(e.iter().cloned()),
            }
        }
        if self.docs.len() != markdown.len() {
            // Files removed or renamed leave the cache.
            let live: FxHashSet<&str> = markdown.iter().map(|(_, rel)| rel.as_str()).collect();
            self.docs.retain(|rel, _| live.contains(rel.as_str()));
        }
        docs
    }

    /// Reads the assets whose stamp changed; reuses the rest. With `only`, the files not named
    /// there are taken as unchanged and not stat-ed.
    pub(super) fn load_assets(
        &mut self,
        assets: &[SourceAsset],
        only: Option<&[String]>,
    ) -> Result<Vec<Output>, Vec<Diagnostic>> {
        let cached = &self.assets;
        let results: Vec<Result<(PathBuf, Stamp, Output), Diagnostic>> = assets
            .par_iter()
            .map(|asset| {
                if let Some(only) = only
                    && !only.contains(&asset.rel_path)
                    && let Some((stamp, output)) = cached.get(&asset.path)
                {
                    let mut output = output.clone();
                    output.key = asset.key.clone();
                    return Ok((asset.path.clone(), *stamp, output));
                }
                let io = |e: std::io::Error| {
                    let problem = Problem::Io(format!("cannot read: {e}"));
                    Diagnostic::new(Path::new(&asset.rel_path), None, problem)
                };
                let stamp = Stamp::of(&asset.path)
                    .ok_or_else(|| io(std::io::Error::from(std::io::ErrorKind::NotFound)))?;
                let mut output = match cached.get(&asset.path) {
                    Some((old, output)) if *old == stamp => output.clone(),
                    _ => read_asset(&asset.path, stamp.len).map_err(io)?,
                };
                output.content_type = crate::outputs::content_type_for(&asset.key);
                output.content_encoding =
                    crate::outputs::content_encoding_for(&asset.key).map(str::to_owned);
                output.key = asset.key.clone();
                Ok((asset.path.clone(), stamp, output))
            })
            .collect();
        let mut outputs = Vec::with_capacity(results.len());
        let mut fresh = HashMap::with_capacity(results.len());
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok((path, stamp, output)) => {
                    fresh.insert(path, (stamp, output.clone()));
                    outputs.push(output);
                }
                Err(e) => errors.push(e),
            }
        }
        self.assets = fresh;
        if errors.is_empty() {
            Ok(outputs)
        } else {
            Err(errors)
        }
    }
}

/// Reads an asset: small files into memory, large ones as streamed file bodies.
fn read_asset(path: &Path, size: u64) -> std::io::Result<Output> {
    if size >= STREAM_THRESHOLD {
        let mut output = Output::from_bytes("", Vec::new(), OutputKind::Asset);
        output.hash = hash_file(path)?;
        output.body = Body::File {
            path: path.to_path_buf(),
            size,
        };
        Ok(output)
    } else {
        Ok(Output::from_bytes(
            "",
            std::fs::read(path)?,
            OutputKind::Asset,
        ))
    }
}

/// What a Jekyll site's `_config.yml` says that site.toml does not (a warning each, at its
/// line of `_config.yml`); nothing when there is no `_config.yml`.
fn jekyll_config_hints(site_dir: &Path, config: &Config, found: &Scan) -> Vec<Diagnostic> {
    let path = site_dir.join("_config.yml");
    let Ok(yml) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let published: Vec<String> = found
        .markdown
        .iter()
        .map(|(_, rel)| rel.clone())
        .chain(found.assets.iter().map(|a| a.rel_path.clone()))
        .collect();
    crate::config::jekyll::hints(&yml, config, &published)
        .into_iter()
        .map(|hint| {
            Diagnostic::new(&path, Some(hint.line), Problem::Hint(hint.text)).relative_to(site_dir)
        })
        .collect()
}
