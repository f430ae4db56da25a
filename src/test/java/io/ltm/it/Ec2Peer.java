package io.ltm.it;

import software.amazon.awssdk.services.ec2.Ec2AsyncClient;

import java.util.HashMap;
import java.util.Map;

/**
 * What an EC2 IT class sets up once: moto_server, a client of the test's own to arrange and inspect it, and the
 * fault proxy LTM talks through. Closed (all three) after the class, even when it failed half way.
 */
final class Ec2Peer implements AutoCloseable {
  final MotoServer moto;
  final Ec2AsyncClient ec2;
  final Ec2FaultProxy proxy;

  private Ec2Peer(MotoServer moto, Ec2AsyncClient ec2, Ec2FaultProxy proxy) {
    this.moto = moto;
    this.ec2 = ec2;
    this.proxy = proxy;
  }

  static Ec2Peer start() throws Exception {
    MotoServer moto = MotoServer.start();
    Ec2AsyncClient ec2 = null;
    try {
      ec2 = moto.ec2();
      return new Ec2Peer(moto, ec2, new Ec2FaultProxy(moto.endpoint()));
    } catch (Exception | Error e) {
      if (ec2 != null) {
        ec2.close();
      }
      moto.close();
      throw e;
    }
  }

  /** The variables that point an LTM at this peer, through the proxy. */
  Map<String, String> ltmEnvironment() {
    return new HashMap<>(moto.ltmEnvironment(proxy.endpoint()));
  }

  @Override
  public void close() {
    proxy.close();
    ec2.close();
    moto.close();
  }
}
