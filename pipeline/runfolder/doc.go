// Package runfolder is the run folder on disk: its file names, the
// journal of records (writing, rewriting, scanning and the fast line
// decoder, keeping each cell's final record), the folder lock, the
// staged commit that replaces a folder's outputs atomically (rescore,
// report, merge), the manifest with its sending marks (SendSpan) and
// stop reasons, and a shard's identity (Shard, ShardInfo, its folder).
// Reading a run back, resuming and merging are the engine's
// (pipeline), which drives the stages over what this package reads.
//
// Imports: runfolder may import pipeline/config, pipeline/results and
// the small helper packages. It must not import pipeline, a stage or
// cmd/inferbench.
package runfolder
