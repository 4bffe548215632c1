package org.filtervis.api;

import java.util.List;
import java.util.Map;

/**
 * What a run did, for {@code run.json}.
 *
 * @param settings values of every setting and version, in a stable order (strings, numbers, booleans)
 * @param filters  every finished filter, in the order they finished
 * @param timings  seconds and rates, e.g. {@code total_seconds}
 */
public record RunRecord(Map<String, Object> settings, List<FilterResult> filters, Map<String, Double> timings) {}
