/**
 * Objectives: the {@code --objective} language, each objective's value and seed gradients at the
 * layers it reads, and their gradients with respect to the image through a backend's
 * differentiation.
 */
package org.filtervis.core.objective;
