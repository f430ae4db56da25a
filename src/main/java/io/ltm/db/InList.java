package io.ltm.db;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * Values for a statement's {@code IN (?, …)} list. The list is padded to a power of two by repeating its last
 * value (which changes no result), so a statement sent with any number of values has one of a few shapes: each
 * shape is prepared once per connection and cached, instead of one per count.
 */
public final class InList {
  private InList() {
  }

  /** The values, the last repeated up to the next power of two; at least one value is required. */
  public static List<String> padded(Collection<String> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("an IN list needs a value");
    }
    List<String> list = new ArrayList<>(values);
    int size = Integer.highestOneBit(list.size());
    if (size < list.size()) {
      size <<= 1;
    }
    String last = list.get(list.size() - 1);
    while (list.size() < size) {
      list.add(last);
    }
    return list;
  }

  /** {@code n} placeholders separated by commas, for inside the parentheses. */
  public static String marks(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }
}
