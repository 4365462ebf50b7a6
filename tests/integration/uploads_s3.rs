//! An in-process S3 server closer to AWS than plain s3s-fs: s3s-fs stores the objects and the
//! parts, and this wrapper adds what s3s-fs leaves out.
//!
//! - It keeps the table of multipart uploads started and not yet completed or aborted, which
//!   s3s-fs cannot list (it answers ListMultipartUploads with NotImplemented).
//! - Its ListObjectsV2 gives each object's ETag, as AWS S3, R2 and MinIO do (s3s-fs leaves them
//!   out, which makes a tool that compares listed ETags with local MD5s, such as `hugo deploy`,
//!   fetch every object; the latency benchmark serves every tool from this server).
//!
//! ListMultipartUploads follows AWS: uploads under `prefix`, sorted by key then by initiation,
//! paginated with key and upload-id markers (`max-uploads`, default 1000).

use std::sync::Mutex;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

use crate::s3_server::{BUCKET, S3Server};

/// One unfinished upload.
#[derive(Debug, Clone)]
struct Upload {
    bucket: String,
    key: String,
    id: String,
    initiated: std::time::SystemTime,
}

/// s3s-fs plus a table of unfinished multipart uploads.
pub struct Uploads {
    fs: s3s_fs::FileSystem,
    open: Mutex<Vec<Upload>>,
}

impl Uploads {
    fn close(&self, bucket: &str, key: &str, id: &str) {
        self.open
            .lock()
            .unwrap()
            .retain(|u| !(u.bucket == bucket && u.key == key && u.id == id));
    }
}

/// Starts the server with one empty bucket, [`BUCKET`].
pub async fn start() -> S3Server {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(BUCKET)).unwrap();
    let uploads = Uploads {
        fs: s3s_fs::FileSystem::new(root.path()).unwrap(),
        open: Mutex::new(Vec::new()),
    };
    S3Server::serve(root, uploads).await
}

/// A request carrying `input`, with the headers and credentials of `like`.
fn request_like<T, U>(like: &S3Request<T>, input: U) -> S3Request<U> {
    S3Request {
        input,
        method: like.method.clone(),
        uri: like.uri.clone(),
        headers: like.headers.clone(),
        extensions: hyper::http::Extensions::new(),
        credentials: like.credentials.clone(),
        region: like.region.clone(),
        service: like.service.clone(),
        trailing_headers: None,
    }
}

#[async_trait::async_trait]
impl S3 for Uploads {
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.fs.put_object(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let bucket = req.input.bucket.clone();
        let like = request_like(&req, ());
        let mut out = self.fs.list_objects_v2(req).await?;
        for object in out.output.contents.iter_mut().flatten() {
            let Some(key) = object.key.clone() else {
                continue;
            };
            let head = HeadObjectInput::builder()
                .bucket(bucket.clone())
                .key(key)
                .build()
                .expect("a HEAD input");
            let head = self.fs.head_object(request_like(&like, head)).await?;
            object.e_tag = head.output.e_tag;
        }
        Ok(out)
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs.create_bucket(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.fs.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.fs.delete_objects(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.fs.create_multipart_upload(req).await?;
        let id = out.output.upload_id.clone().unwrap_or_default();
        self.open.lock().unwrap().push(Upload {
            bucket,
            key,
            id,
            initiated: std::time::SystemTime::now(),
        });
        Ok(out)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let i = &req.input;
        let (bucket, key, id) = (i.bucket.clone(), i.key.clone(), i.upload_id.clone());
        let out = self.fs.complete_multipart_upload(req).await?;
        self.close(&bucket, &key, &id);
        Ok(out)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let i = &req.input;
        let (bucket, key, id) = (i.bucket.clone(), i.key.clone(), i.upload_id.clone());
        let out = self.fs.abort_multipart_upload(req).await?;
        self.close(&bucket, &key, &id);
        Ok(out)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let i = req.input;
        let prefix = i.prefix.clone().unwrap_or_default();
        let max = usize::try_from(i.max_uploads.unwrap_or(1000).clamp(1, 1000)).unwrap();
        let mut open: Vec<Upload> = self
            .open
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u.bucket == i.bucket && u.key.starts_with(&prefix))
            .cloned()
            .collect();
        open.sort_by(|a, b| (&a.key, a.initiated).cmp(&(&b.key, b.initiated)));
        // After the markers: keys past the key marker, or at it with an upload past the id
        // marker (in initiation order).
        if let Some(marker) = &i.key_marker {
            let at = match &i.upload_id_marker {
                Some(id) => open
                    .iter()
                    .position(|u| &u.key == marker && &u.id == id)
                    .map(|p| p + 1),
                None => None,
            };
            let start = at.unwrap_or_else(|| open.iter().take_while(|u| &u.key <= marker).count());
            open.drain(..start.min(open.len()));
        }
        let truncated = open.len() > max;
        open.truncate(max);
        let last = open.last().cloned();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(i.bucket),
            prefix: i.prefix,
            key_marker: i.key_marker,
            upload_id_marker: i.upload_id_marker,
            max_uploads: i.max_uploads,
            is_truncated: Some(truncated),
            next_key_marker: last.as_ref().filter(|_| truncated).map(|u| u.key.clone()),
            next_upload_id_marker: last.filter(|_| truncated).map(|u| u.id),
            uploads: Some(
                open.into_iter()
                    .map(|u| MultipartUpload {
                        key: Some(u.key),
                        upload_id: Some(u.id),
                        initiated: Some(Timestamp::from(u.initiated)),
                        ..MultipartUpload::default()
                    })
                    .collect(),
            ),
            ..ListMultipartUploadsOutput::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::s3_server::BUCKET;

    /// Listed ETags are the objects' ETags, as a HEAD gives them.
    #[tokio::test]
    async fn listings_carry_the_objects_etags() {
        let server = super::start().await;
        let client = server.client();
        for (key, body) in [("a.txt", "alpha"), ("b/c.txt", "gamma")] {
            client
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .body(body.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
        }
        let listed = client
            .list_objects_v2()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let contents = listed.contents();
        assert_eq!(contents.len(), 2);
        for object in contents {
            let head = client
                .head_object()
                .bucket(BUCKET)
                .key(object.key().unwrap())
                .send()
                .await
                .unwrap();
            assert!(object.e_tag().is_some(), "{object:?}");
            assert_eq!(object.e_tag(), head.e_tag());
        }
    }
}
