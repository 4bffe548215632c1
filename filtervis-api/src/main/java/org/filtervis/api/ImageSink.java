package org.filtervis.api;

import java.io.IOException;

/**
 * Receives results as the driver produces them: each filter's image as soon as it is done, then
 * the run's record once at the end. Called from the driver's thread only.
 */
public interface ImageSink {

    void filterDone(FilterResult result) throws IOException;

    default void runDone(RunRecord record) throws IOException {}
}
