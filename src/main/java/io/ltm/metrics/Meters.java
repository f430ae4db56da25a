package io.ltm.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The one place LTM's own meters are registered, next to Vert.x's (HTTP, pools, event bus), and scraped at
 * {@code GET /metrics}. One registry per JVM: every Vert.x instance and every part of LTM report into it.
 *
 * <p>Adding a meter is one line where the thing happens, e.g.
 * {@code Meters.counter("ltm_heartbeats", "agent heartbeats received").increment()} (Micrometer caches meters by
 * name and tags, so calling it again is cheap). Names are Prometheus style, {@code ltm_<what>}; a counter gets
 * {@code _total} appended, a timer {@code _seconds}.
 */
public final class Meters {
  private static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Vert.x's timers whose percentiles an operator asks for: request latency and the wait for a pooled connection. */
  private static final List<String> HISTOGRAMS = List.of("vertx_http_server_response_time", "vertx_pool_queue_time",
    "vertx_pool_usage");

  static {
    REGISTRY.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        String name = id.getName().replace('.', '_');
        return HISTOGRAMS.stream().anyMatch(name::startsWith)
          ? DistributionStatisticConfig.builder().percentilesHistogram(true)
            .minimumExpectedValue((double) Duration.ofMillis(1).toNanos())
            .maximumExpectedValue((double) Duration.ofSeconds(30).toNanos()).build().merge(config)
          : config;
      }
    });
  }

  private Meters() {
  }

  public static PrometheusMeterRegistry registry() {
    return REGISTRY;
  }

  /** A counter; {@code tags} are name/value pairs. */
  public static Counter counter(String name, String help, String... tags) {
    return Counter.builder(name).description(help).tags(tags).register(REGISTRY);
  }

  /** A latency timer with a histogram, so Prometheus can compute any percentile across nodes. */
  public static Timer timer(String name, String help, String... tags) {
    return Timer.builder(name).description(help).tags(tags)
      .publishPercentileHistogram()
      .minimumExpectedValue(Duration.ofMillis(1))
      .maximumExpectedValue(Duration.ofSeconds(60))
      .register(REGISTRY);
  }

  /** A distribution of sizes or counts (e.g. rows per batch). */
  public static DistributionSummary summary(String name, String help, String... tags) {
    return DistributionSummary.builder(name).description(help).tags(tags).register(REGISTRY);
  }

  /**
   * A gauge read at scrape time. Registering the same name and tags again replaces the earlier one: a
   * redeployed part (a test's second LTM in one JVM) reports its own value, not a stale one.
   */
  public static void gauge(String name, String help, Supplier<Number> value, String... tags) {
    Meter.Id id = new Meter.Id(name, io.micrometer.core.instrument.Tags.of(tags), null, help, Meter.Type.GAUGE);
    REGISTRY.remove(id);
    Gauge.builder(name, value).description(help).tags(tags).strongReference(true).register(REGISTRY);
  }
}
