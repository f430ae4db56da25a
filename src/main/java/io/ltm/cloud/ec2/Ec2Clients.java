package io.ltm.cloud.ec2;

import io.ltm.config.LtmConfig.Ec2Config;
import software.amazon.awssdk.awscore.client.builder.AwsAsyncClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ssm.SsmAsyncClient;

import java.net.URI;
import java.time.Duration;

/**
 * The production clients: async, on Netty NIO, credentials from the AWS default provider chain (environment,
 * profile, instance role). The SDK's own retries are off: retrying is LTM's decision (see {@link Ec2Errors}), so a
 * throttled launch backs off through the job instead of multiplying calls inside one attempt.
 */
public final class Ec2Clients {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private Ec2Clients() {
  }

  public static Ec2AsyncClient ec2(Ec2Config config) {
    return configured(Ec2AsyncClient.builder(), config);
  }

  public static SsmAsyncClient ssm(Ec2Config config) {
    return configured(SsmAsyncClient.builder(), config);
  }

  private static <B extends AwsAsyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> C configured(B builder,
                                                                                                 Ec2Config config) {
    builder.region(Region.of(config.region()))
      .httpClient(http())
      .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(CALL_TIMEOUT));
    if (config.endpoint() != null && !config.endpoint().isBlank()) {
      builder.endpointOverride(URI.create(config.endpoint().trim()));
    }
    return builder.build();
  }

  private static SdkAsyncHttpClient http() {
    return NettyNioAsyncHttpClient.builder()
      .maxConcurrency(32)
      .connectionTimeout(Duration.ofSeconds(5))
      .build();
  }
}
