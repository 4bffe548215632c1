/**
 * Files in and out: the run's image sinks (per-filter PNGs, the grid, run.json), the progress
 * line, .npy and JSON, reading untrusted files with a byte cap, and writing files whole.
 */
package org.filtervis.core.io;
