package io.ltm.http;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The real contract (openapi.yaml): its validators are made once per schema and still refuse what they refused. */
class ContractValidationTest {
  private static Vertx vertx;
  private static OpenAPIContract contract;

  @BeforeAll
  static void load() {
    vertx = Vertx.vertx();
    contract = ContractValidation.cachingValidators(OpenAPIContract.from(vertx, "openapi.yaml").await());
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  @Test
  void everyRequestOfAnOperationGetsTheSameValidator() {
    JsonSchema body = purchaseBody();
    SchemaRepository repository = contract.getSchemaRepository();
    assertThat(repository.validator(body)).isSameAs(repository.validator(body));
    for (Operation operation : contract.operations()) {
      operation.getParameters().forEach(p ->
        assertThat(repository.validator(p.getSchema())).as(p.getName()).isSameAs(repository.validator(p.getSchema())));
    }
  }

  @Test
  void theSharedValidatorStillChecksEachRequestOnItsOwn() {
    var validator = contract.getSchemaRepository().validator(purchaseBody());
    assertThat(validator.validate(new JsonObject().put("offerId", "mobile").put("quantity", 1)).getValid()).isTrue();
    assertThat(validator.validate(new JsonObject().put("offerId", 7)).getValid()).isFalse();
    assertThat(validator.validate(new JsonObject().put("offerId", "mobile").put("quantity", 11)).getValid()).isFalse();
    assertThat(validator.validate(new JsonObject().put("offerId", "mobile")
      .put("input", new JsonObject().put("kind", "carrier-pigeon"))).getValid()).as("a $ref'd schema").isFalse();
    assertThat(validator.validate(new JsonObject().put("offerId", "mobile")
      .put("input", new JsonObject().put("kind", "rtmp"))).getValid()).isTrue();
  }

  private static JsonSchema purchaseBody() {
    return contract.operation("createOrder").getRequestBody().getContent().get("application/json").getSchema();
  }
}
