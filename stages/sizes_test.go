package stages

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits a newcomer can rely on (issue 14): no non-test Go file over
// maxFileLines and no function over maxFuncLines. A file or function may
// go over only with a comment line saying why, starting "// long:" (in
// the function's doc comment, or anywhere in the file for the file limit).
const (
	maxFileLines = 600
	maxFuncLines = 80
)

func TestNoFileOver600LinesAndNoFunctionOver80(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != ".." && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		checkSizes(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkSizes(t *testing.T, path string) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel("..", path)
	if n := fset.Position(file.End()).Line; n > maxFileLines && !saysWhyLong(file.Comments) {
		t.Errorf("%s has %d lines (limit %d): split it by concern, or say why in a \"// long:\" comment", rel, n, maxFileLines)
	}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
		if n > maxFuncLines && (fn.Doc == nil || !saysWhyLong([]*ast.CommentGroup{fn.Doc})) {
			t.Errorf("%s: %s has %d lines (limit %d): split it where a reader would name the parts, or say why in a \"// long:\" comment", rel, funcName(fn), n, maxFuncLines)
		}
	}
}

func saysWhyLong(groups []*ast.CommentGroup) bool {
	for _, g := range groups {
		for _, c := range g.List {
			if strings.HasPrefix(c.Text, "// long:") {
				return true
			}
		}
	}
	return false
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
