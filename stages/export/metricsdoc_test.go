package export

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated documentation")

func TestMetricsDocIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := writeMetricsDoc(&b); err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/metrics.md"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("docs/metrics.md is stale: run go test ./stages/export -run TestMetricsDocIsCurrent -update")
	}
	for _, d := range MetricDefinitions {
		if !bytes.Contains(got, []byte("`"+d.Key+"`")) {
			t.Errorf("docs/metrics.md lacks %s", d.Key)
		}
	}
}
