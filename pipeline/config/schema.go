package config

import (
	"reflect"
	"strings"
)

// schemaKind is the shape a YAML value must have.
type schemaKind int

const (
	kindString schemaKind = iota
	kindInt
	kindFloat
	kindBool
	kindDuration
	kindWarmup // a whole number of requests or a duration (LevelWarmup)
	kindStruct
	kindList
	kindFreeMap      // user-keyed map (params.extra): keys keep their case
	kindNumberOrList // params.temperature: a number or a list of numbers
	kindExtract      // score.extract: a list of step names or {regex|expr}
)

// schema describes one YAML value of an Experiment.
type schema struct {
	kind   schemaKind
	fields []schemaField // kindStruct, in declaration order
	elem   *schema       // kindList
	secret bool          // kindString holding a Secret
	// command marks api_key_command, whose echoes are redacted by
	// RedactCommand.
	command bool
	// compile, when set, compiles a non-empty string expression.
	compile func(string) error
	// load marks a platform's load block, whose keys beyond the shared
	// ones depend on its type (see linter.levelsSchema).
	load bool
	// block marks a block a component owns (Block): its keys are those of
	// the config type registered for it (see Registry.AddBlock).
	block bool
}

type schemaField struct {
	key string
	s   *schema
}

// field returns the schema of key, or nil.
func (s *schema) field(key string) *schema {
	for _, f := range s.fields {
		if f.key == key {
			return f.s
		}
	}
	return nil
}

// keys lists the valid keys of a struct schema.
func (s *schema) keys() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.key
	}
	return out
}

// hasSecret reports whether s or anything below it holds a Secret.
func (s *schema) hasSecret() bool {
	if s == nil {
		return false
	}
	if s.secret || (s.elem != nil && s.elem.hasSecret()) {
		return true
	}
	for _, f := range s.fields {
		if f.s.hasSecret() {
			return true
		}
	}
	return false
}

// isLeaf reports whether s is set by one value (a scalar or a list of scalars).
func (s *schema) isLeaf() bool {
	switch s.kind {
	case kindStruct, kindFreeMap:
		return false
	case kindList:
		return s.elem.kind != kindStruct && s.elem.kind != kindList && s.elem.kind != kindFreeMap
	}
	return true
}

var (
	durationType = reflect.TypeOf(Duration(0))
	secretType   = reflect.TypeOf(Secret(""))
	extractType  = reflect.TypeOf(ExtractSpec{})
	blockType    = reflect.TypeOf(Block{})
)

// schemaOf derives the schema of t from its yaml tags and kinds.
func schemaOf(t reflect.Type) *schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		return &schema{kind: kindDuration}
	case levelWarmupType:
		return &schema{kind: kindWarmup}
	case secretType:
		return &schema{kind: kindString, secret: true}
	case extractType:
		return &schema{kind: kindExtract}
	case blockType:
		return &schema{kind: kindStruct, block: true}
	}
	switch t.Kind() {
	case reflect.Struct:
		s := &schema{kind: kindStruct}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			s.fields = append(s.fields, schemaField{key: key, s: schemaOf(f.Type)})
		}
		return s
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Float64 {
			return &schema{kind: kindNumberOrList}
		}
		return &schema{kind: kindList, elem: schemaOf(t.Elem())}
	case reflect.Map:
		return &schema{kind: kindFreeMap}
	case reflect.String:
		return &schema{kind: kindString}
	case reflect.Bool:
		return &schema{kind: kindBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &schema{kind: kindInt}
	case reflect.Float32, reflect.Float64:
		return &schema{kind: kindFloat}
	}
	panic("pipeline: no schema for " + t.String())
}

// newExperimentSchema is the schema of an experiment file, with the
// expression fields wired to their compilers, without the keys of the
// blocks components own (Catalog.fileSchema adds them).
func newExperimentSchema() *schema {
	s := schemaOf(reflect.TypeOf(Experiment{}))
	s.field("dataset").field("filter").compile = func(src string) error { _, err := CompileFilter(src); return err }
	s.field("metrics").elem.field("expr").compile = func(src string) error { _, err := CompileMetric(src); return err }
	s.field("checks").elem.compile = func(src string) error { _, err := CompileCheck(src); return err }
	s.field("platforms").elem.field("load").load = true
	s.field("platforms").elem.field("api_key_command").command = true
	return s
}

func kindNoun(k schemaKind) string {
	switch k {
	case kindString:
		return "a string"
	case kindInt:
		return "an integer"
	case kindFloat:
		return "a number"
	case kindBool:
		return "true or false"
	case kindDuration:
		return "a duration"
	case kindWarmup:
		return "a number of requests or a duration"
	}
	return "a value"
}
