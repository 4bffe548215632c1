/**
 * Plugins: backends and atlas engines found with {@code ServiceLoader} on the class path and in
 * plugin folders (one class loader each), the CPU's capabilities they are checked against, and
 * the Guice module that makes them injectable.
 */
package org.filtervis.core.plugin;
