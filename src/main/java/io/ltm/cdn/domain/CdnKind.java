package io.ltm.cdn.domain;

import java.util.List;

/** The kinds of CDN a profile can be. */
public final class CdnKind {
  /** The agent serves HLS itself (the default; no profile row). */
  public static final String ORIGIN = "origin";
  /** HTTP PUT and DELETE of playlists and segments: WebDAV servers, Akamai-style HTTP ingest. */
  public static final String HTTP_PUT = "http-put";
  /** Objects in an S3 bucket, played through a public base URL (a CloudFront-style domain). */
  public static final String S3 = "s3";
  /** One rendition pushed live to an RTMP ingest URL. */
  public static final String RTMP = "rtmp";
  public static final List<String> PROFILE_KINDS = List.of(HTTP_PUT, S3, RTMP);

  private CdnKind() {
  }
}
