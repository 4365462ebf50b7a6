//! The image step of a render: from the site's asset outputs to the published originals
//! (metadata stripped, or left out when too big), the variants (made, or found in the cache)
//! and the [`Catalog`] that Markdown and templates read. Images are processed in parallel;
//! each source is decoded at most once per render, and not at all when every variant is
//! cached. In lazy mode (`serve`) missing variants are made on a background thread while
//! the original is served under their names, so an edit never waits for image work.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::cache::{Stored, VariantCache};
use super::decode::{self, Probe};
use super::markup::{Candidate, Picture};
use super::variant::{self, Plan, Spec};
use super::{Catalog, ImageConfig, ImageError, ImageFailure};
use crate::content::SourceAsset;
use crate::outputs::{Body, Output, OutputKind};

/// The variants of one source, each with its stored file when it was made before.
type Found = Vec<(Spec, Option<Stored>)>;

/// Called when background work finished, so `serve` can rebuild with the new variants.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// What the image step hands back.
#[derive(Debug, Default)]
pub struct Processed {
    /// The pictures, for Markdown and templates.
    pub catalog: Arc<Catalog>,
    /// The asset outputs to publish (originals stripped or left out) and the variants.
    pub outputs: Vec<Output>,
    /// Variants still being made in the background (lazy mode); their originals stand in.
    pub pending: usize,
    /// Variants made by this call (0 when everything came from the cache).
    pub made: usize,
}

/// Processes a site's images, keeping what it learnt between renders.
#[derive(Default)]
pub struct Images {
    cache: Arc<VariantCache>,
    /// Header facts by source hash (a probe reads only the header, but 200 photos add up).
    probes: Mutex<HashMap<String, Result<Probe, ImageError>>>,
    /// Stripped originals by source hash.
    stripped: Mutex<HashMap<String, Arc<Output>>>,
    /// Lazy mode: missing variants are made in the background, then `notify` is called.
    lazy: Option<Notify>,
    /// Variant ids being made in the background.
    in_flight: Arc<Mutex<HashSet<String>>>,
}

/// One raster source and what the render decided for it.
struct Job<'a> {
    asset: &'a SourceAsset,
    output: &'a Output,
    probe: Probe,
    plan: Plan,
}

impl Images {
    /// Images processed in memory, nothing kept on disk.
    pub fn new() -> Images {
        Images::default()
    }

    /// Keeps variants under `dir` (a site's [`super::IMAGE_CACHE`]).
    pub(crate) fn persist_in(&mut self, dir: &Path) {
        let mut cache = VariantCache::in_memory();
        cache.persist_in(dir.to_path_buf());
        self.cache = Arc::new(cache);
    }

    /// Deletes cached variants the renders since the last call did not use (after a render
    /// that succeeded: every variant of the site was asked for).
    pub(crate) fn prune_cache(&self) {
        self.cache.prune_unused();
    }

    /// Makes missing variants in the background and calls `notify` when a batch is done.
    pub(crate) fn lazily(&mut self, notify: Notify) {
        self.lazy = Some(notify);
    }

    /// Runs the image step on `assets` (the outputs of `sources`, in the same order).
    pub fn process(
        &self,
        config: &ImageConfig,
        base_path: &str,
        sources: &[SourceAsset],
        assets: Vec<Output>,
    ) -> Result<Processed, Vec<ImageFailure>> {
        let raster: Vec<usize> = (0..sources.len())
            .filter(|&i| config.enabled && decode::is_raster(&sources[i].key))
            .collect();
        let sizes = sizes_left(sources, &assets, &raster);
        if raster.is_empty() {
            return Ok(Processed {
                outputs: assets,
                catalog: Arc::new(Catalog::default().with_sizes(sizes)),
                ..Processed::default()
            });
        }
        let jobs = self.jobs(config, sources, &assets, &raster)?;
        let (variants, made) = self.variants(config, &jobs)?;
        let Variants {
            mut outputs,
            entries,
            missing,
        } = Variants::of(base_path, config, &jobs, &variants, assets.len());
        let pending = missing
            .iter()
            .flat_map(|(_, found)| found.iter().filter(|(_, s)| s.is_none()))
            .count();
        if !missing.is_empty() {
            self.in_background(config, missing);
        }
        let orientation_at: HashMap<usize, u16> = raster
            .iter()
            .zip(&jobs)
            .map(|(&i, job)| (i, job.probe.orientation))
            .collect();
        drop(jobs);
        self.add_originals(config, sources, assets, &orientation_at, &mut outputs)?;
        Ok(Processed {
            catalog: Arc::new(Catalog::new(entries).with_sizes(sizes)),
            outputs,
            pending,
            made,
        })
    }

    /// A job for each of the `raster` sources, each probed (header only) and planned; or the
    /// images that cannot be read.
    fn jobs<'a>(
        &self,
        config: &ImageConfig,
        sources: &'a [SourceAsset],
        assets: &'a [Output],
        raster: &[usize],
    ) -> Result<Vec<Job<'a>>, Vec<ImageFailure>> {
        let probed: Vec<Result<Probe, ImageFailure>> = raster
            .par_iter()
            .map(|&i| self.probe(config, &sources[i], &assets[i]))
            .collect();
        let mut errors = Vec::new();
        let mut jobs = Vec::with_capacity(raster.len());
        for (&i, probe) in raster.iter().zip(probed) {
            match probe {
                Ok(probe) => jobs.push(Job {
                    asset: &sources[i],
                    output: &assets[i],
                    plan: variant::plan(&assets[i].hash, &probe, config),
                    probe,
                }),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(jobs)
        } else {
            Err(errors)
        }
    }

    /// Each job's variants, from the cache or made now (unless lazy: then the missing ones
    /// are left for the background), and how many were made.
    fn variants(
        &self,
        config: &ImageConfig,
        jobs: &[Job<'_>],
    ) -> Result<(Vec<Found>, usize), Vec<ImageFailure>> {
        let made = std::sync::atomic::AtomicUsize::new(0);
        let lazy = self.lazy.is_some();
        let results: Vec<Result<Found, ImageFailure>> = jobs
            .par_iter()
            .map(|job| {
                let found: Vec<(Spec, Option<Stored>)> = job
                    .plan
                    .specs()
                    .map(|s| (s.clone(), self.cache.get(s)))
                    .collect();
                if lazy || found.iter().all(|(_, s)| s.is_some()) {
                    return Ok(found);
                }
                let fresh = make(&self.cache, config, job.output, &found)
                    .map_err(|e| failure(job.asset, e))?;
                made.fetch_add(fresh.len(), std::sync::atomic::Ordering::Relaxed);
                let mut fresh = fresh.into_iter();
                Ok(found
                    .into_iter()
                    .map(|(spec, s)| match s {
                        Some(s) => (spec, Some(s)),
                        None => (spec, fresh.next()),
                    })
                    .collect())
            })
            .collect();
        let mut errors = Vec::new();
        let mut variants: Vec<Vec<(Spec, Option<Stored>)>> = Vec::with_capacity(jobs.len());
        for r in results {
            match r {
                Ok(v) => variants.push(v),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok((variants, made.into_inner()))
        } else {
            Err(errors)
        }
    }

    /// The originals into `outputs`: stripped of metadata, or left out when too big (unless
    /// `publish_originals`); other assets as they are.
    fn add_originals(
        &self,
        config: &ImageConfig,
        sources: &[SourceAsset],
        assets: Vec<Output>,
        orientation_at: &HashMap<usize, u16>,
        outputs: &mut Vec<Output>,
    ) -> Result<(), Vec<ImageFailure>> {
        for (i, output) in assets.into_iter().enumerate() {
            match orientation_at.get(&i) {
                None => outputs.push(output),
                Some(&orientation) => {
                    let keep = config.publish_originals
                        || output.body.len() <= config.max_original.as_u64();
                    if keep {
                        let stripped = self
                            .stripped(&output, orientation)
                            .map_err(|e| vec![failure(&sources[i], e)])?;
                        outputs.push(stripped);
                    }
                }
            }
        }
        Ok(())
    }

    fn probe(
        &self,
        config: &ImageConfig,
        asset: &SourceAsset,
        output: &Output,
    ) -> Result<Probe, ImageFailure> {
        let memo = format!("{}-{}", output.hash, config.max_megapixels);
        if let Some(hit) = self.probes.lock().expect("probe lock").get(&memo) {
            return hit.clone().map_err(|e| failure(asset, e));
        }
        let result = bytes_of(output).and_then(|b| decode::probe(&b, config.max_pixels()));
        self.probes
            .lock()
            .expect("probe lock")
            .insert(memo, result.clone());
        result.map_err(|e| failure(asset, e))
    }

    fn stripped(&self, output: &Output, orientation: u16) -> Result<Output, ImageError> {
        if let Some(hit) = self.stripped.lock().expect("strip lock").get(&output.hash) {
            let mut out = Output::clone(hit);
            out.key = output.key.clone();
            out.content_type = output.content_type.clone();
            return Ok(out);
        }
        let bytes = super::strip::strip(&bytes_of(output)?, orientation)?;
        let mut out = Output::from_bytes(output.key.clone(), bytes, OutputKind::Asset);
        out.content_type = output.content_type.clone();
        self.stripped
            .lock()
            .expect("strip lock")
            .insert(output.hash.clone(), Arc::new(out.clone()));
        Ok(out)
    }

    /// Makes `missing` variants on a thread of its own, then calls the notifier.
    fn in_background(&self, config: &ImageConfig, missing: Vec<(Output, Found)>) {
        let Some(notify) = self.lazy.clone() else {
            return;
        };
        let mut todo = Vec::new();
        {
            let mut in_flight = self.in_flight.lock().expect("in-flight lock");
            for (output, found) in missing {
                let ids: Vec<String> = found
                    .iter()
                    .filter(|(_, s)| s.is_none())
                    .map(|(s, _)| s.id.clone())
                    .collect();
                if ids.iter().all(|id| in_flight.insert(id.clone())) {
                    todo.push((output, found, ids));
                }
            }
        }
        if todo.is_empty() {
            return;
        }
        let cache = self.cache.clone();
        let in_flight = self.in_flight.clone();
        let config = config.clone();
        let spawned = std::thread::Builder::new()
            .name("images".into())
            .spawn(move || {
                for (output, found, ids) in todo {
                    if let Err(e) = make(&cache, &config, &output, &found) {
                        tracing::warn!("{}: {e}", output.key);
                    }
                    let mut in_flight = in_flight.lock().expect("in-flight lock");
                    for id in ids {
                        in_flight.remove(&id);
                    }
                }
                notify();
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the image thread: {e}");
        }
    }
}

/// The sizes of the images left as they are (not `raster`), from their headers:
/// (object key, source path, size).
fn sizes_left(
    sources: &[SourceAsset],
    assets: &[Output],
    raster: &[usize],
) -> Vec<(String, String, (u32, u32))> {
    (0..sources.len())
        .into_par_iter()
        .filter(|i| raster.binary_search(i).is_err() && super::size::is_image(&sources[*i].key))
        .filter_map(|i| {
            let size = super::size::of(&sources[i].key, &assets[i].body)?;
            Some((sources[i].key.clone(), sources[i].rel_path.clone(), size))
        })
        .collect()
}

/// The variants' outputs (a stand-in where one is still to be made), each source's picture
/// for the catalog, and the sources with variants still to make.
struct Variants {
    outputs: Vec<Output>,
    entries: Vec<(String, String, Picture)>,
    missing: Vec<(Output, Found)>,
}

impl Variants {
    /// From each job and its `variants`; `outputs` has room for the `assets` to come.
    fn of(
        base_path: &str,
        config: &ImageConfig,
        jobs: &[Job<'_>],
        variants: &[Found],
        assets: usize,
    ) -> Variants {
        let mut outputs = Vec::with_capacity(assets + jobs.len() * 4);
        let mut entries = Vec::with_capacity(jobs.len());
        let mut seen = HashSet::new();
        let mut missing = Vec::new();
        for (job, found) in jobs.iter().zip(variants) {
            let stem = stem_of(&job.asset.key);
            if found.iter().any(|(_, s)| s.is_none()) {
                missing.push((job.output.clone(), found.clone()));
            }
            for (spec, stored) in found {
                let key = spec.key(&stem);
                if !seen.insert(key.clone()) {
                    continue;
                }
                let output = match stored {
                    Some(stored) => variant_output(key, spec, stored.clone()),
                    None => stand_in(key, job.output),
                };
                outputs.push(output);
            }
            entries.push((
                job.asset.key.clone(),
                job.asset.rel_path.clone(),
                picture(base_path, &stem, &job.plan, config),
            ));
        }
        Variants {
            outputs,
            entries,
            missing,
        }
    }
}

/// Decodes the source once and makes the variants `found` lacks, in order.
fn make(
    cache: &VariantCache,
    config: &ImageConfig,
    output: &Output,
    found: &[(Spec, Option<Stored>)],
) -> Result<Vec<Stored>, ImageError> {
    let decoded = decode::decode(&bytes_of(output)?, config.max_pixels())?;
    let pixels = variant::Pixels::new(decoded)?;
    let mut resizer = fast_image_resize::Resizer::new();
    let mut made = Vec::new();
    for (spec, stored) in found {
        if stored.is_some() {
            continue;
        }
        let bytes = pixels.make(spec, &mut resizer)?;
        let stored = cache
            .put(spec, bytes)
            .map_err(|e| ImageError::Cache(e.to_string()))?;
        made.push(stored);
    }
    Ok(made)
}

fn bytes_of(output: &Output) -> Result<Arc<[u8]>, ImageError> {
    match &output.body {
        Body::Bytes(b) => Ok(b.clone()),
        Body::File { path, .. } => std::fs::read(path)
            .map(Into::into)
            .map_err(|e| ImageError::Unreadable(format!("cannot read: {e}"))),
        Body::Dropped { .. } => Err(ImageError::Unreadable(Body::dropped_error().to_string())),
    }
}

fn failure(asset: &SourceAsset, error: ImageError) -> ImageFailure {
    ImageFailure {
        path: PathBuf::from(&asset.rel_path),
        error,
    }
}

fn variant_output(key: String, spec: &Spec, stored: Stored) -> Output {
    Output {
        content_type: spec.format.mime().to_string(),
        key,
        body: stored.body,
        hash: stored.hash,
        content_encoding: None,
        cache_control: None,
        redirect: None,
        kind: OutputKind::Asset,
    }
}

/// The original served under a variant's name until the variant is made (lazy mode only:
/// browsers show an image by its bytes, whatever the name says).
fn stand_in(key: String, original: &Output) -> Output {
    let mut output = original.clone();
    output.key = key;
    output
}

/// A slug of the file name without its extension, for readable variant names.
fn stem_of(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let slug = slug::slugify(stem);
    if slug.is_empty() {
        "image".into()
    } else {
        slug
    }
}

fn picture(base_path: &str, stem: &str, plan: &Plan, config: &ImageConfig) -> Picture {
    let url = |s: &Spec| format!("{base_path}{}", s.key(stem));
    let webp: Vec<Candidate> = plan
        .webp
        .iter()
        .map(|s| Candidate {
            url: url(s),
            width: s.width,
        })
        .collect();
    Picture {
        srcset: Picture::srcset_of(&webp),
        largest: webp.last().cloned().unwrap_or(Candidate {
            url: url(&plan.fallback),
            width: plan.fallback.width,
        }),
        webp,
        src: url(&plan.fallback),
        src_type: plan.fallback.format.mime().to_string(),
        width: plan.fallback.width,
        height: plan.fallback.height,
        sizes: config.sizes.clone(),
    }
}

#[cfg(test)]
#[path = "process_tests.rs"]
mod tests;
