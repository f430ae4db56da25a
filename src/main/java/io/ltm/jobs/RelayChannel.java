package io.ltm.jobs;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.ltm.config.LtmConfig.RabbitConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The outbox relay's own connection and channel, on the plain AMQP client: Vert.x's RabbitMQ client cannot publish
 * {@code mandatory} nor hear {@code basic.return}, and a job that reaches no queue must not count as sent. Publisher
 * confirms are on; the broker sends a message's return before its ack, and the client runs return listeners in
 * frame order, so once {@link #publish} has its confirms it also knows every message that was returned.
 *
 * <p>Every method blocks: the relay calls them on a worker thread, one at a time.
 */
final class RelayChannel implements AutoCloseable {
  /** A message to publish; {@code mandatory} ones come back if no queue takes them. */
  record Outgoing(String exchange, String routingKey, String messageId, String payload, boolean mandatory) {
  }

  private final Connection connection;
  private final Channel channel;
  private final Set<String> returned = new HashSet<>();

  private RelayChannel(Connection connection, Channel channel) {
    this.connection = connection;
    this.channel = channel;
  }

  /** Connects, turns confirms on and declares the whole topology ({@link Topology}). */
  static RelayChannel open(RabbitConfig config, String name) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(config.uri());
    factory.setAutomaticRecoveryEnabled(false);
    factory.setConnectionTimeout(3000);
    factory.setRequestedHeartbeat(10);
    Connection connection = factory.newConnection("ltm-" + name);
    try {
      Channel channel = connection.createChannel();
      RelayChannel relay = new RelayChannel(connection, channel);
      channel.addReturnListener(r -> relay.returned(r.getProperties().getMessageId()));
      channel.confirmSelect();
      Topology.declare(channel, config.deliveryLimit());
      return relay;
    } catch (Exception e) {
      connection.abort(1000);
      throw e;
    }
  }

  private synchronized void returned(String messageId) {
    returned.add(messageId);
  }

  /** Declares the topology again: something removed part of it (a job came back unroutable). */
  void redeclare(int deliveryLimit) throws IOException {
    Topology.declare(channel, deliveryLimit);
  }

  /**
   * Publishes the messages and waits for the broker to confirm them all. Returns the ids of the mandatory messages
   * the broker returned (no queue took them): those were not sent. Throws if any was refused or the confirms did
   * not come in time; then none counts as sent, and publishing them again is the consumers' duplicate to ignore.
   */
  Set<String> publish(List<Outgoing> messages, long timeoutMs) throws IOException, InterruptedException,
    TimeoutException {
    synchronized (this) {
      returned.clear();
    }
    for (Outgoing m : messages) {
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .deliveryMode(2)
        .messageId(m.messageId())
        .build();
      channel.basicPublish(m.exchange(), m.routingKey(), m.mandatory(), props,
        m.payload().getBytes(StandardCharsets.UTF_8));
    }
    if (!channel.waitForConfirms(timeoutMs)) {
      throw new IOException("RabbitMQ refused (nacked) a message of the batch");
    }
    synchronized (this) {
      return Set.copyOf(returned);
    }
  }

  boolean isOpen() {
    return connection.isOpen() && channel.isOpen();
  }

  @Override
  public void close() {
    connection.abort(1000);
  }
}
