package io.ltm.it;

import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every row of every table of the test's database, as text: what a test compares before and after requests that
 * must change nothing, or searches for a secret that must not be stored.
 */
final class DbSnapshot {
  private DbSnapshot() {
  }

  /** Table name → its rows (each cell rendered with its column name), sorted, so two snapshots compare as maps. */
  static Map<String, List<String>> take(Pool pool, Set<String> except) {
    Map<String, List<String>> tables = new TreeMap<>();
    for (Row t : Await.result(pool.query("SELECT table_name FROM information_schema.tables "
      + "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'").execute())) {
      String table = t.getString(0);
      if (except.contains(table)) {
        continue;
      }
      List<String> rows = new ArrayList<>();
      for (Row r : Await.result(pool.query("SELECT * FROM `" + table + "`").execute())) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < r.size(); i++) {
          Object v = r.getValue(i);
          sb.append(r.getColumnName(i)).append('=').append(v instanceof io.vertx.core.buffer.Buffer b
            ? java.util.HexFormat.of().formatHex(b.getBytes()) : String.valueOf(v)).append('\t');
        }
        rows.add(sb.toString());
      }
      rows.sort(null);
      tables.put(table, rows);
    }
    return tables;
  }
}
