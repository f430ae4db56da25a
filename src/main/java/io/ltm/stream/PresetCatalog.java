package io.ltm.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ltm.stream.domain.StreamConfig;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Named ladders with their outputs, kept as data: one YAML file per preset under {@code conf/presets/}, packaged
 * into the jar as {@code presets/*.yaml}. Adding a preset is adding a file.
 */
public final class PresetCatalog {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String FOLDER = "presets";

  public record Preset(String id, String name, String description, StreamConfig config) {
    public JsonObject toJson() {
      JsonObject config = StreamConfigJson.toJson(this.config);
      return new JsonObject().put("id", id).put("name", name).put("description", description)
        .put("renditions", config.getJsonArray("renditions")).put("outputs", config.getJsonObject("outputs"));
    }
  }

  private final Map<String, Preset> presets;

  PresetCatalog(List<Preset> presets) {
    Map<String, Preset> byId = new LinkedHashMap<>();
    presets.forEach(p -> byId.put(p.id(), p));
    this.presets = byId;
  }

  public Collection<Preset> all() {
    return presets.values();
  }

  /** The preset with this id, or null. */
  public Preset find(String id) {
    return presets.get(id);
  }

  /** Reads every preset file from the class path, in file-name order. Blocking: call it off the event loop. */
  public static PresetCatalog load() {
    URL folder = PresetCatalog.class.getClassLoader().getResource(FOLDER);
    if (folder == null) {
      throw new IllegalStateException("no " + FOLDER + "/ on the class path");
    }
    try {
      URI uri = folder.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          return new PresetCatalog(read(jar.getPath(FOLDER)));
        } catch (FileSystemAlreadyExistsException e) {
          return new PresetCatalog(read(FileSystems.getFileSystem(uri).getPath(FOLDER)));
        }
      }
      return new PresetCatalog(read(Path.of(uri)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Preset> read(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted()
        .map(PresetCatalog::readOne).toList();
    }
  }

  @SuppressWarnings("unchecked")
  private static Preset readOne(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      JsonObject json = new JsonObject(YAML.readValue(in, Map.class));
      String id = json.getString("id");
      if (id == null || !file.getFileName().toString().equals(id + ".yaml")) {
        throw new IllegalStateException(file + ": id must match the file name");
      }
      StreamConfig config = StreamConfigJson.fromJson(json.copy().put("preset", id));
      return new Preset(id, json.getString("name", id), json.getString("description", ""), config);
    } catch (IOException e) {
      throw new UncheckedIOException(file + " is not a readable preset", e);
    }
  }
}
