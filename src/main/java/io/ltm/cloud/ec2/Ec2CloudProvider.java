package io.ltm.cloud.ec2;

import io.ltm.cloud.CloudProvider;
import io.ltm.cloud.LaunchRefusedException;
import io.ltm.config.InvalidConfigurationException;
import io.ltm.config.LtmConfig;
import io.ltm.config.LtmConfig.Ec2Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.DescribeInstanceStatusRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.EbsBlockDevice;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.InstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.InstanceMarketOptionsRequest;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataOptionsRequest;
import software.amazon.awssdk.services.ec2.model.InstanceStatus;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.SpotInstanceType;
import software.amazon.awssdk.services.ec2.model.SpotMarketOptions;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VolumeType;
import software.amazon.awssdk.services.ssm.SsmAsyncClient;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Transcoder machines as EC2 instances, through the AWS SDK v2 async client. An instance carries the tags
 * {@code ltm:machine}, {@code ltm:stream}, {@code ltm:account} and {@code ltm:env} (and the operator's extra
 * tags) on itself and its volume; the {@code ltm:machine} tag is how a launch repeated after a crash finds the
 * instance it already made, and the {@code ltm:env} tag is how the reconciler lists them all.
 */
public class Ec2CloudProvider implements CloudProvider {
  private static final Logger LOG = LoggerFactory.getLogger(Ec2CloudProvider.class);
  public static final String TAG_MACHINE = "ltm:machine";
  public static final String TAG_STREAM = "ltm:stream";
  public static final String TAG_ACCOUNT = "ltm:account";
  public static final String TAG_ENV = "ltm:env";
  public static final String TAG_POOL = "ltm:pool";
  private static final List<String> NOT_ENDED = List.of("pending", "running", "stopping", "stopped");
  private static final Pattern AMI = Pattern.compile("ami-[0-9a-f]{8,17}");
  /** DescribeInstanceStatus takes at most this many ids without paging. */
  private static final int STATUS_BATCH = 100;
  static final int DEFAULT_PAGE_SIZE = 500;

  private final Ec2Config config;
  private final String env;
  private final String serverUrl;
  private final Ec2AsyncClient ec2;
  private final SsmAsyncClient ssm;
  private final Ec2Calls calls;
  private final int pageSize;
  private volatile String imageId;
  private volatile String rootDevice = "/dev/xvda";

  /** @param pageSize instances per DescribeInstances page (5–1000); tests make it small to exercise paging */
  public Ec2CloudProvider(Vertx vertx, LtmConfig config, Ec2AsyncClient ec2, SsmAsyncClient ssm, int pageSize) {
    this.config = config.ec2();
    this.env = config.cloud().env();
    this.serverUrl = config.http().publicUrl();
    this.ec2 = ec2;
    this.ssm = ssm;
    this.calls = new Ec2Calls(vertx);
    this.pageSize = pageSize;
  }

  public static Ec2CloudProvider create(Vertx vertx, LtmConfig config) {
    return new Ec2CloudProvider(vertx, config, Ec2Clients.ec2(config.ec2()), Ec2Clients.ssm(config.ec2()),
      DEFAULT_PAGE_SIZE);
  }

  @Override
  public String name() {
    return "ec2";
  }

  /** Resolves the image (an SSM parameter names it, or it is an AMI id) and reads its root device name. */
  @Override
  public Future<Void> prepare() {
    String image = config.image().trim();
    Future<String> ami = AMI.matcher(image).matches() ? Future.succeededFuture(image) : fromSsm(image);
    return ami.compose(id -> calls.call("DescribeImages", id, () -> ec2.describeImages(r -> r.imageIds(id)))
      .recover(err -> Future.failedFuture(new InvalidConfigurationException("ec2.image",
        "cannot use image " + id + " (" + describe(err) + ")")))
      .compose(images -> {
        if (images.images().isEmpty()) {
          return Future.failedFuture(new InvalidConfigurationException("ec2.image",
            "image " + id + " does not exist in " + config.region()));
        }
        String device = images.images().get(0).rootDeviceName();
        imageId = id;
        if (device != null && !device.isBlank()) {
          rootDevice = device;
        }
        LOG.info("ec2 provider ready: image {} (root device {}), region {}, subnets {}, purchase {}", id, rootDevice,
          config.region(), config.subnets(), config.purchase());
        return Future.<Void>succeededFuture();
      }));
  }

  private Future<String> fromSsm(String image) {
    String name = image.startsWith("resolve:ssm:") ? image.substring("resolve:ssm:".length()) : image;
    return calls.call("GetParameter", name, () -> ssm.getParameter(r -> r.name(name)))
      .recover(err -> Future.failedFuture(new InvalidConfigurationException("ec2.image",
        "cannot read SSM parameter " + name + " (" + describe(err) + ")")))
      .compose(resp -> {
        String value = resp.parameter().value().trim();
        return AMI.matcher(value).matches() ? Future.succeededFuture(value)
          : Future.failedFuture(new InvalidConfigurationException("ec2.image",
          "SSM parameter " + name + " holds '" + value + "', not an AMI id"));
      });
  }

  @Override
  public Future<Launched> launch(LaunchRequest request) {
    if (imageId == null) {
      return Future.failedFuture(new IllegalStateException("ec2 provider used before prepare()"));
    }
    return findAlive(request.machineId()).compose(found -> {
      if (!found.isEmpty()) {
        var instance = found.get(0);
        LOG.info("machine {} already has instance {} ({}): adopting it", request.machineId(), instance.instanceId(),
          instance.state().nameAsString());
        return Future.succeededFuture(new Launched(instance.instanceId(),
          "running".equals(instance.state().nameAsString()), instance.instanceTypeAsString()));
      }
      List<String[]> options = new ArrayList<>();
      for (String type : request.instanceTypes()) {
        for (String subnet : config.subnets()) {
          options.add(new String[] {type, subnet});
        }
      }
      return attempt(request, options, 0, "spot".equals(config.purchase()), null);
    });
  }

  /** Tries one (instance type, subnet) after another as EC2's answers decide; see {@link Ec2Errors}. */
  private Future<Launched> attempt(LaunchRequest request, List<String[]> options, int index, boolean spot,
                                   String lastCapacityCode) {
    if (index >= options.size()) {
      return Future.failedFuture(new LaunchRefusedException("EC2 has no capacity right now for "
        + String.join(", ", request.instanceTypes()) + " in any configured zone; start the stream again in a few minutes",
        lastCapacityCode));
    }
    String type = options.get(index)[0];
    String subnet = options.get(index)[1];
    RunInstancesRequest run;
    try {
      run = runRequest(request, type, subnet, spot);
    } catch (IllegalArgumentException badUserData) {
      return Future.failedFuture(new LaunchRefusedException(
        "the transcoder machine's start-up script (user-data) cannot be sent: " + badUserData.getMessage(), null));
    }
    String about = request.machineId() + " as " + type + (spot ? " spot" : "") + " in " + subnet;
    return calls.call("RunInstances", about, () -> ec2.runInstances(run))
      .map(resp -> {
        var instance = resp.instances().get(0);
        LOG.info("machine {} launched as {} ({} in {})", request.machineId(), instance.instanceId(), type, subnet);
        return new Launched(instance.instanceId(), "running".equals(instance.state().nameAsString()), type);
      })
      .recover(err -> {
        String code = Ec2Calls.code(err);
        return switch (Ec2Errors.decide(code, spot)) {
          case ON_DEMAND -> attempt(request, options, index, false, code);
          case NEXT_OPTION -> attempt(request, options, index + 1, spot, code);
          case ADOPT -> findAlive(request.machineId()).compose(found -> found.isEmpty() ? Future.failedFuture(err)
            : Future.succeededFuture(new Launched(found.get(0).instanceId(),
            "running".equals(found.get(0).state().nameAsString()), found.get(0).instanceTypeAsString())));
          case RETRY_LATER -> Future.failedFuture(err);
          case REFUSE -> Future.failedFuture(new LaunchRefusedException(
            Ec2Errors.plainReason(code, Ec2Calls.message(err)), code));
        };
      });
  }

  private RunInstancesRequest runRequest(LaunchRequest request, String type, String subnet, boolean spot) {
    List<Tag> tags = new ArrayList<>();
    config.extraTags().forEach((k, v) -> tags.add(Tag.builder().key(k).value(v).build()));
    tags.add(Tag.builder().key("Name").value("ltm-" + request.machineId()).build());
    tags.add(Tag.builder().key(TAG_MACHINE).value(request.machineId()).build());
    if (request.streamId() != null) {
      tags.add(Tag.builder().key(TAG_STREAM).value(request.streamId()).build());
      tags.add(Tag.builder().key(TAG_ACCOUNT).value(request.accountId()).build());
    } else {
      // A warm machine: booted for a pool, no stream or account until a start claims it.
      tags.add(Tag.builder().key(TAG_POOL).value("warm").build());
    }
    tags.add(Tag.builder().key(TAG_ENV).value(env).build());
    RunInstancesRequest.Builder run = RunInstancesRequest.builder()
      .imageId(imageId)
      .instanceType(type)
      .minCount(1)
      .maxCount(1)
      // Lets EC2 itself recognise a repeated request; the ltm:machine tag covers what the token cannot (it expires).
      .clientToken(request.machineId())
      .subnetId(subnet)
      .securityGroupIds(config.securityGroups())
      .userData(UserData.base64(UserData.script(request.machineId(), serverUrl, request.bootstrapToken())))
      // An agent that exits powers the machine off (deploy/ami/ltm-agent.service): that must not leave a
      // stopped instance behind.
      .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
      .metadataOptions(InstanceMetadataOptionsRequest.builder().httpTokens(HttpTokensState.REQUIRED).build())
      .blockDeviceMappings(BlockDeviceMapping.builder().deviceName(rootDevice).ebs(EbsBlockDevice.builder()
        .volumeSize(config.rootVolumeGb()).volumeType(VolumeType.GP3).deleteOnTermination(true).encrypted(true)
        .build()).build())
      .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags).build(),
        TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags).build());
    String profile = config.instanceProfile();
    if (profile != null && !profile.isBlank()) {
      run.iamInstanceProfile(profile.startsWith("arn:")
        ? IamInstanceProfileSpecification.builder().arn(profile).build()
        : IamInstanceProfileSpecification.builder().name(profile).build());
    }
    if (config.keyName() != null && !config.keyName().isBlank()) {
      run.keyName(config.keyName());
    }
    if (spot) {
      run.instanceMarketOptions(InstanceMarketOptionsRequest.builder().marketType(MarketType.SPOT)
        .spotOptions(SpotMarketOptions.builder().spotInstanceType(SpotInstanceType.ONE_TIME)
          .instanceInterruptionBehavior(InstanceInterruptionBehavior.TERMINATE).build()).build());
    }
    return run.build();
  }

  @Override
  public Future<Void> terminate(String machineId, String providerRef) {
    Future<List<String>> ids = providerRef != null && providerRef.startsWith("i-")
      ? Future.succeededFuture(List.of(providerRef))
      : findAlive(machineId).map(list -> list.stream().map(i -> i.instanceId()).toList());
    return ids.compose(list -> list.isEmpty() ? Future.succeededFuture()
      : calls.call("TerminateInstances", machineId + " " + list, () -> ec2.terminateInstances(r -> r.instanceIds(list)))
      .<Void>mapEmpty()
      .recover(err -> isGone(err) ? Future.succeededFuture() : Future.failedFuture(err)));
  }

  @Override
  public Future<Void> stop(String machineId, String providerRef) {
    return calls.call("StopInstances", machineId + " " + providerRef, () -> ec2.stopInstances(r -> r.instanceIds(providerRef)))
      .mapEmpty();
  }

  @Override
  public Future<Void> resume(String machineId, String providerRef) {
    return calls.call("StartInstances", machineId + " " + providerRef, () -> ec2.startInstances(r -> r.instanceIds(providerRef)))
      .mapEmpty();
  }

  @Override
  public Future<List<Instance>> list() {
    List<software.amazon.awssdk.services.ec2.model.Instance> all = new ArrayList<>();
    return page(DescribeInstancesRequest.builder().filters(filter("tag:" + TAG_ENV, env)).maxResults(pageSize),
      null, all)
      .compose(v -> impaired(all.stream().filter(i -> "running".equals(i.state().nameAsString()))
        .map(i -> i.instanceId()).toList()))
      .map(impaired -> all.stream().map(i -> toInstance(i, impaired.get(i.instanceId()))).toList());
  }

  private Future<Void> page(DescribeInstancesRequest.Builder request, String token,
                            List<software.amazon.awssdk.services.ec2.model.Instance> into) {
    DescribeInstancesRequest req = request.nextToken(token).build();
    return calls.call("DescribeInstances", TAG_ENV + "=" + env, () -> ec2.describeInstances(req))
      .compose((DescribeInstancesResponse resp) -> {
        resp.reservations().forEach(r -> into.addAll(r.instances()));
        String next = resp.nextToken();
        return next == null || next.isEmpty() ? Future.succeededFuture() : page(request, next, into);
      });
  }

  /** Running instances whose instance or system status check says impaired, with the two statuses. */
  private Future<Map<String, String>> impaired(List<String> running) {
    Map<String, String> reasons = new HashMap<>();
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < running.size(); from += STATUS_BATCH) {
      List<String> batch = running.subList(from, Math.min(running.size(), from + STATUS_BATCH));
      DescribeInstanceStatusRequest req = DescribeInstanceStatusRequest.builder().instanceIds(batch).build();
      chain = chain.compose(v -> calls.call("DescribeInstanceStatus", batch.size() + " instances",
        () -> ec2.describeInstanceStatus(req)).map(resp -> {
          for (InstanceStatus s : resp.instanceStatuses()) {
            String instance = s.instanceStatus() == null ? "unknown" : s.instanceStatus().statusAsString();
            String system = s.systemStatus() == null ? "unknown" : s.systemStatus().statusAsString();
            if ("impaired".equals(instance) || "impaired".equals(system)) {
              reasons.put(s.instanceId(), StateReasons.impaired(s.instanceId(), instance, system));
            }
          }
          return null;
        }));
    }
    return chain.map(reasons);
  }

  private static Instance toInstance(software.amazon.awssdk.services.ec2.model.Instance i, String impairedReason) {
    String state = i.state().nameAsString();
    Status status = switch (state) {
      case "pending" -> Status.PENDING;
      case "running" -> impairedReason != null ? Status.IMPAIRED : Status.RUNNING;
      case "stopping", "stopped" -> Status.STOPPED;
      default -> Status.ENDED;
    };
    String reason = status == Status.IMPAIRED ? impairedReason : status.alive() ? null
      : StateReasons.ended(i.instanceId(), state, i.stateReason() == null ? null : i.stateReason().code(),
      i.stateReason() == null ? i.stateTransitionReason() : i.stateReason().message());
    return new Instance(tag(i, TAG_MACHINE), i.instanceId(), status, reason, i.launchTime(),
      i.instanceTypeAsString());
  }

  /** Instances of this machine not terminated (nor shutting down), oldest first. */
  private Future<List<software.amazon.awssdk.services.ec2.model.Instance>> findAlive(String machineId) {
    DescribeInstancesRequest req = DescribeInstancesRequest.builder()
      .filters(filter("tag:" + TAG_MACHINE, machineId), filter("tag:" + TAG_ENV, env),
        Filter.builder().name("instance-state-name").values(NOT_ENDED).build())
      .build();
    return calls.call("DescribeInstances", TAG_MACHINE + "=" + machineId, () -> ec2.describeInstances(req))
      .map(resp -> resp.reservations().stream().flatMap(r -> r.instances().stream())
        .sorted((a, b) -> a.launchTime().compareTo(b.launchTime())).toList());
  }

  private static Filter filter(String name, String value) {
    return Filter.builder().name(name).values(value).build();
  }

  private static String tag(software.amazon.awssdk.services.ec2.model.Instance i, String key) {
    return i.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst().orElse(null);
  }

  private static boolean isGone(Throwable err) {
    String code = Ec2Calls.code(err);
    return code != null && code.startsWith("InvalidInstanceID");
  }

  private static String describe(Throwable err) {
    String code = Ec2Calls.code(err);
    return code != null ? code : Ec2Calls.unwrap(err).getClass().getSimpleName() + ": " + Ec2Calls.message(err);
  }

  @Override
  public void close() {
    ec2.close();
    ssm.close();
  }
}
