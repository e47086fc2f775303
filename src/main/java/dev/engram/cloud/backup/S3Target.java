package dev.engram.cloud.backup;

import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Backups in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO...) through the AWS SDK v2 and the JDK's URL
 * connection (no Netty). Credentials come from the SDK's standard chain ({@code AWS_ACCESS_KEY_ID} and
 * {@code AWS_SECRET_ACCESS_KEY}, a profile, an instance role). Checksums are computed and checked only when the
 * operation requires them: R2 refuses the SDK's newer default checksum headers. With {@code S3_ENDPOINT} set,
 * requests use path-style addresses, which every S3-compatible server takes.
 */
final class S3Target implements BackupTarget {

  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final String description;

  S3Target(String bucket, String endpoint, String region, String prefix) {
    S3ClientBuilder builder = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .credentialsProvider(DefaultCredentialsProvider.builder().build())
        .region(Region.of(region == null || region.isBlank() ? "auto" : region))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
    }
    this.s3 = builder.build();
    this.bucket = bucket;
    this.prefix = prefix == null || prefix.isBlank() ? "" : (prefix.endsWith("/") ? prefix : prefix + "/");
    this.description = "s3://" + bucket + "/" + this.prefix
        + (endpoint == null || endpoint.isBlank() ? "" : " at " + URI.create(endpoint).getHost());
  }

  @Override
  public void put(String key, Path file) throws IOException {
    call(() -> s3.putObject(b -> b.bucket(bucket).key(prefix + key), RequestBody.fromFile(file)));
  }

  @Override
  public void put(String key, byte[] bytes) throws IOException {
    call(() -> s3.putObject(b -> b.bucket(bucket).key(prefix + key), RequestBody.fromBytes(bytes)));
  }

  @Override
  public byte[] get(String key) throws IOException {
    try {
      return s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix + key)).asByteArray();
    } catch (NoSuchKeyException e) {
      return null;
    } catch (SdkException e) {
      throw new IOException("S3 get " + key + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean download(String key, Path to) throws IOException {
    try (var in = s3.getObject(b -> b.bucket(bucket).key(prefix + key));
         var out = Files.newOutputStream(LocalTarget.privateEmpty(to))) {
      in.transferTo(out);
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (SdkException e) {
      throw new IOException("S3 get " + key + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> list(String under) throws IOException {
    List<String> keys = new ArrayList<>();
    try {
      for (var page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + under))) {
        for (S3Object o : page.contents()) keys.add(o.key().substring(prefix.length()));
      }
    } catch (SdkException e) {
      throw new IOException("S3 list " + under + " failed: " + e.getMessage(), e);
    }
    keys.sort(null);
    return keys;
  }

  @Override
  public void delete(String key) throws IOException {
    call(() -> s3.deleteObject(b -> b.bucket(bucket).key(prefix + key)));
  }

  @Override
  public Path liveLogRoot() {
    return null;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    s3.close();
  }

  private void call(Runnable request) throws IOException {
    try {
      request.run();
    } catch (SdkException e) {
      throw new IOException("S3 request to " + description + " failed: " + e.getMessage(), e);
    }
  }
}
