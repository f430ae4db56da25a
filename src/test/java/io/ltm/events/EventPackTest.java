package io.ltm.events;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventPackTest {
  @Test
  void eventsComeOutAsTheyWentInInOrder() {
    String withNewlineInText = new JsonObject().put("seq", 2).put("detail", "line one\nline two").encode();
    List<EventPack.Entry> in = List.of(
      new EventPack.Entry("account.acc_a.order.state", new JsonObject().put("seq", 1).encode()),
      new EventPack.Entry("account.acc_b.stream.state", withNewlineInText),
      new EventPack.Entry("account.acc_a.stream.health", "{\"seq\":3,\"name\":\"a b c\"}"));
    List<EventPack.Entry> out = entries(EventPack.pack(in));
    assertThat(out).isEqualTo(in);
    assertThat(new JsonObject(out.get(1).json()).getString("detail")).isEqualTo("line one\nline two");
  }

  private static List<EventPack.Entry> entries(String body) {
    List<EventPack.Entry> entries = new ArrayList<>();
    EventPack.unpack(body, (key, json) -> entries.add(new EventPack.Entry(key, json)));
    return entries;
  }

  @Test
  void aMalformedLineIsSkippedAndTheOthersStillCome() {
    List<String> keys = new ArrayList<>();
    int count = EventPack.unpack("account.a.x {\"seq\":1}\nnospace\n\n account.b.x {}\naccount.c.x {\"seq\":3}",
      (key, json) -> keys.add(key));
    assertThat(count).isEqualTo(2);
    assertThat(keys).containsExactly("account.a.x", "account.c.x");
  }

  @Test
  void textThatWouldBreakTheFramingIsRefused() {
    assertThatThrownBy(() -> EventPack.pack(List.of(new EventPack.Entry("account.a x", "{}"))))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EventPack.pack(List.of(new EventPack.Entry("account.a.x", "{\n}"))))
      .isInstanceOf(IllegalArgumentException.class);
  }
}
