package io.ltm.order;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/** A catalog entry: what a stream of this kind produces and what it costs per hour while it runs. */
public record Offer(String id, String name, String description, int pricePerHourCents, String currency,
                    JsonArray renditions) {

  static Offer fromRow(Row row) {
    return new Offer(row.getString("id"), row.getString("name"), row.getString("description"),
      row.getInteger("price_per_hour_cents"), row.getString("currency"), new JsonArray(row.getString("renditions")));
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("name", name).put("description", description)
      .put("pricePerHourCents", pricePerHourCents).put("currency", currency).put("renditions", renditions);
  }
}
