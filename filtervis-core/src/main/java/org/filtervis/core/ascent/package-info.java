/**
 * Gradient ascent: the recipe's numbers, the Keras example's driver and Lucid's, and the image
 * arithmetic they share (initial noise, normalized steps, deprocessing).
 */
package org.filtervis.core.ascent;
