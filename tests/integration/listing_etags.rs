//! s3s-fs with ETags in its listings, as AWS S3, R2 and MinIO give them: s3s-fs's
//! ListObjectsV2 leaves them out, which makes a tool that compares listed ETags with local MD5s
//! (`hugo deploy`, s3deploy) fetch every object to compare. The latency benchmark serves every
//! tool from this wrapper, so none pays for a quirk of the test server.

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

use crate::s3_server::S3Server;

/// s3s-fs, with each listed object's ETag taken from a HEAD of it.
pub struct ListingEtags {
    fs: s3s_fs::FileSystem,
}

/// Starts the server with one empty bucket, [`crate::s3_server::BUCKET`].
pub async fn start() -> S3Server {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(crate::s3_server::BUCKET)).unwrap();
    let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
    S3Server::serve(root, ListingEtags { fs }).await
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
impl S3 for ListingEtags {
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
        self.fs.create_multipart_upload(req).await
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
        self.fs.complete_multipart_upload(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.fs.abort_multipart_upload(req).await
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
