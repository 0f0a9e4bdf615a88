package stages

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackagesImportOnlyWhatTheirPackageCommentsAllow keeps the dependency
// direction the package comments state: config is the leaf of the core,
// results may import config, runfolder config and results, pipeline its
// three sub-packages and no stage; every stage imports the core packages
// and at most the one other stage its comment names, besides the leaf
// stages/tokenize. Small helper
// packages (pipeline/<name> not listed here, .../internal/...) may be
// imported by any of them and import only other helpers. A new package
// must be added here. Test files are not checked.
func TestPackagesImportOnlyWhatTheirPackageCommentsAllow(t *testing.T) {
	const module = "github.com/inferbench/inferbench/"
	core := []string{"pipeline", "pipeline/config", "pipeline/results", "pipeline/runfolder"}
	allowed := map[string][]string{
		"pipeline/config":       nil,
		"pipeline/results":      {"pipeline/config"},
		"pipeline/runfolder":    {"pipeline/config", "pipeline/results"},
		"pipeline":              core[1:],
		"stages":                {"pipeline", "stages/aggregate", "stages/export", "stages/load", "stages/query", "stages/score"},
		"stages/tokenize":       nil,
		"stages/load":           append(core, "stages/tokenize"),
		"stages/score":          core,
		"stages/query/emulator": append(core, "stages/tokenize"),
		"stages/query":          append(core, "stages/query/emulator", "stages/tokenize"),
		"stages/aggregate":      append(core, "stages/score"),
		"stages/export":         append(core, "stages/aggregate"),
	}
	helper := func(pkg string) bool {
		if _, listed := allowed[pkg]; listed {
			return false
		}
		return strings.HasPrefix(pkg, "pipeline/") || strings.Contains("/"+pkg+"/", "/internal/")
	}
	dirs := map[string][]string{} // package dir (module-relative) -> its non-test files
	for _, root := range []string{"pipeline", "stages"} {
		err := filepath.WalkDir(filepath.Join("..", root), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
				return err
			}
			rel, err := filepath.Rel("..", filepath.Dir(path))
			dirs[filepath.ToSlash(rel)] = append(dirs[filepath.ToSlash(rel)], path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for dir, files := range dirs {
		ok, known := allowed[dir]
		if !known && !helper(dir) {
			t.Errorf("package %s is not listed: give it a package comment saying what it may import, and list it here", dir)
			continue
		}
		for _, f := range files {
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				rest, ours := strings.CutPrefix(path, module)
				if ours && !helper(rest) && (helper(dir) || !slices.Contains(ok, rest)) {
					t.Errorf("%s imports %s; %s may import only %v and helper packages of this module", f, rest, dir, ok)
				}
			}
		}
	}
	for dir := range allowed {
		if _, seen := dirs[dir]; !seen {
			t.Errorf("package %s is listed but has no Go files", dir)
		}
	}
}
