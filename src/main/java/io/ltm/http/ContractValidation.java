package io.ltm.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileSystem;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.SchemaException;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.openapi.contract.SecurityScheme;
import io.vertx.openapi.contract.Server;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Request validation against the API contract, as vertx-web-openapi-router does it, minus two costs the purchase
 * profile ({@code bench/purchase --profile}) showed:
 *
 * <ul>
 *   <li>vertx-openapi asks the schema repository for a fresh validator for every parameter and body it checks,
 *   and each one copies the repository's whole lookup table (every schema of the contract): a quarter of LTM's
 *   CPU. A validator holds only final fields and the table does not change once the contract is loaded, so one
 *   per schema, made at start, serves every request on every thread ({@link #cachingValidators}).</li>
 *   <li>The router's validation handler runs each request's validation through {@code executeBlocking}, ordered
 *   per context: every API request of a server node queued for one worker thread and came back, two thread
 *   hand-overs per request. With validators made up front, checking a small JSON body is microseconds, so it runs
 *   on the request's event loop ({@link #onEventLoop}).</li>
 * </ul>
 *
 * The checks themselves, their order and the failures (a {@code ValidatorException} as a 400) are the library's.
 */
final class ContractValidation {
  private ContractValidation() {
  }

  /**
   * Validates every operation's requests on the event loop instead of the router's worker-thread validation.
   * Call before any other handler is added to the routes, so validation still runs first.
   */
  static void onEventLoop(Vertx vertx, RouterBuilder builder, OpenAPIContract contract, RequestExtractor extractor) {
    OnLoopValidator validator = new OnLoopValidator(vertx, contract);
    for (OpenAPIRoute route : builder.getRoutes()) {
      Operation operation = route.getOperation();
      route.setDoValidation(false).addHandler(ctx -> extractor.extractValidatableRequest(ctx, operation)
        .compose(request -> validator.validateNow(request, operation))
        .onSuccess(validated -> {
          ctx.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, validated);
          ctx.next();
        })
        .onFailure(err -> ctx.fail(err instanceof ValidatorException
          ? new HttpException(HttpResponseStatus.BAD_REQUEST.code(), err.getMessage(), err) : err)));
    }
  }

  /** The library's request validation, without the hop to a worker thread. */
  private static final class OnLoopValidator extends RequestValidatorImpl {
    OnLoopValidator(Vertx vertx, OpenAPIContract contract) {
      super(vertx, contract);
    }

    Future<ValidatedRequest> validateNow(ValidatableRequest request, Operation operation) {
      try {
        Map<String, RequestParameter> cookies = new HashMap<>();
        Map<String, RequestParameter> headers = new HashMap<>();
        Map<String, RequestParameter> path = new HashMap<>();
        Map<String, RequestParameter> query = new HashMap<>();
        for (Parameter p : operation.getParameters()) {
          switch (p.getIn()) {
            case COOKIE -> cookies.put(p.getName(), validateParameter(p, request.getCookies().get(p.getName())));
            case HEADER -> headers.put(p.getName(), validateParameter(p, request.getHeaders().get(p.getName())));
            case PATH -> path.put(p.getName(), validateParameter(p, request.getPathParameters().get(p.getName())));
            case QUERY -> query.put(p.getName(), validateParameter(p, request.getQuery().get(p.getName())));
            default -> {
            }
          }
        }
        RequestParameter body = validateBody(operation.getRequestBody(), request);
        return Future.succeededFuture(new ValidatedRequestImpl(cookies, headers, path, query, body));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
  }

  /** The contract, its schema repository handing out validators made once per schema. */
  static OpenAPIContract cachingValidators(OpenAPIContract contract) {
    SchemaRepository repository = contract.getSchemaRepository();
    // Every schema a request is checked against: each operation's parameters and bodies. Made now, read-only after.
    Map<JsonSchema, Validator> validators = new IdentityHashMap<>();
    java.util.function.Consumer<JsonSchema> make = schema -> {
      if (schema != null) {
        validators.computeIfAbsent(schema, repository::validator);
      }
    };
    for (Operation operation : contract.operations()) {
      operation.getParameters().forEach(p -> make.accept(p.getSchema()));
      if (operation.getRequestBody() != null) {
        operation.getRequestBody().getContent().values().forEach(m -> make.accept(m.getSchema()));
      }
    }
    return new Contract(contract, new Repository(repository, validators));
  }

  private record Contract(OpenAPIContract delegate, SchemaRepository repository) implements OpenAPIContract {
    @Override
    public SchemaRepository getSchemaRepository() {
      return repository;
    }

    @Override
    public Operation operation(String operationId) {
      return delegate.operation(operationId);
    }

    @Override
    public List<Operation> operations() {
      return delegate.operations();
    }

    @Override
    public List<Path> getPaths() {
      return delegate.getPaths();
    }

    @Override
    public JsonObject getRawContract() {
      return delegate.getRawContract();
    }

    @Override
    public OpenAPIVersion getVersion() {
      return delegate.getVersion();
    }

    @Override
    public List<Server> getServers() {
      return delegate.getServers();
    }

    @Override
    public Path findPath(String urlPath) {
      return delegate.findPath(urlPath);
    }

    @Override
    public Operation findOperation(String urlPath, HttpMethod method) {
      return delegate.findOperation(urlPath, method);
    }

    @Override
    public List<SecurityRequirement> getSecurityRequirements() {
      return delegate.getSecurityRequirements();
    }

    @Override
    public SecurityScheme securityScheme(String name) {
      return delegate.securityScheme(name);
    }
  }

  /** {@link #validator(JsonSchema)} from the validators made up front, by the schema's identity. */
  private static final class Repository implements SchemaRepository {
    private final SchemaRepository delegate;
    private final Map<JsonSchema, Validator> validators;

    Repository(SchemaRepository delegate, Map<JsonSchema, Validator> validators) {
      this.delegate = delegate;
      this.validators = validators;
    }

    @Override
    public Validator validator(JsonSchema schema) {
      Validator made = validators.get(schema);
      return made != null ? made : delegate.validator(schema);
    }

    @Override
    public SchemaRepository dereference(JsonSchema schema) throws SchemaException {
      delegate.dereference(schema);
      return this;
    }

    @Override
    public SchemaRepository dereference(String uri, JsonSchema schema) throws SchemaException {
      delegate.dereference(uri, schema);
      return this;
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs) {
      delegate.preloadMetaSchema(fs);
      return this;
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs, Draft draft) {
      delegate.preloadMetaSchema(fs, draft);
      return this;
    }

    @Override
    public Validator validator(String ref) {
      return delegate.validator(ref);
    }

    @Override
    public Validator validator(String ref, JsonSchemaOptions options) {
      return delegate.validator(ref, options);
    }

    @Override
    public Validator validator(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
      return delegate.validator(schema, options, dereference);
    }

    @Override
    public JsonObject resolve(JsonObject schema) {
      return delegate.resolve(schema);
    }

    @Override
    public JsonSchema find(String pointer) {
      return delegate.find(pointer);
    }
  }
}
