// Package config is the experiment language: the Experiment types and
// their documented defaults, loading a YAML file with --set and
// INFERBENCH_ overrides, lint against the types' schema, validation,
// located Diagnostics and YAML syntax errors, the expr environments
// compiled at validation, the matrix size limits, the load blocks and
// their levels, the component blocks, the dataset Sample and Slice and the prompt template.
//
// It knows the registered components only through its Catalog (names by
// kind, level-model and block configs, arrival laws, dataset rules, the
// query stage's request rules), which pipeline.Registry embeds and fills
// as stages register.
//
// Imports: config is the leaf of the module's core. It must not import
// pipeline, pipeline/results, pipeline/runfolder, a stage or
// cmd/inferbench; only the small helper packages.
package config
