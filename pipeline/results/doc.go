// Package results is the schema of what a run produces: the Record (one
// journal line per matrix cell) with its CellKey and Cell, and the
// Results of aggregation (groups, distributions, comparisons, checks,
// sweeps, the client's health and resource failures) with their JSON
// encoding and the expr view that metrics and checks evaluate. Exporters
// read these types; aggregate fills them.
//
// Imports: results may import pipeline/config (the experiment the
// results answer) and the small helper packages. It must not import
// pipeline, pipeline/runfolder, a stage or cmd/inferbench.
package results
