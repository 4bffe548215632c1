/**
 * Photo collections: photos read and prepared one way for every command (shorter side to the
 * size, centre crop, colours in [0, 1]; hostile files refused in one line), and the jobs over a
 * collection (MaCo's magnitude spectrum). Above the run engine, below the commands' jobs that
 * use photos (explain, the atlas).
 */
package org.filtervis.core.photos;
