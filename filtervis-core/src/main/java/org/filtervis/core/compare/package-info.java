/** Comparing backends: the same recipe from the same images on several, pair by pair, and the report. */
package org.filtervis.core.compare;
