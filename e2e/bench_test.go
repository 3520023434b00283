package e2e

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// benchRepo generates a monorepo of about totalMB megabytes: apps/app (2 MB) and libs/lib (2 MB)
// are the app's inputs; the rest is filler in other apps, docs and node_modules-like trees of
// 1 MB incompressible files. It is not a git repository: monoctx runs with --repo.
func benchRepo(b *testing.B, totalMB int) string {
	b.Helper()
	repo := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	blob := func(p string, size int) {
		buf := make([]byte, size)
		for i := 0; i+8 <= len(buf); i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8; j++ {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		mkdir(b, filepath.Dir(p))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	const mb = 1 << 20
	writeFile(b, filepath.Join(repo, "apps/app/Dockerfile"), "FROM scratch\nCOPY libs/lib/ /lib/\nCOPY apps/app/ /app/\n")
	writeFile(b, filepath.Join(repo, ".dockerignore"), ".git\n")
	for i := 0; i < 16; i++ {
		blob(filepath.Join(repo, "apps/app/src", strconv.Itoa(i)+".bin"), mb/8)
		blob(filepath.Join(repo, "libs/lib", strconv.Itoa(i)+".bin"), mb/8)
	}
	for i := 0; i < totalMB-4; i++ {
		var dir string
		switch i % 3 {
		case 0:
			dir = filepath.Join("apps", "svc"+strconv.Itoa(i%40), "assets")
		case 1:
			dir = filepath.Join("node_modules", "pkg"+strconv.Itoa(i%97), "dist")
		default:
			dir = filepath.Join("data", "set"+strconv.Itoa(i%13))
		}
		blob(filepath.Join(repo, dir, strconv.Itoa(i)+".bin"), mb)
	}
	return repo
}

var sizeRE = regexp.MustCompile(`(?:Sending build context to Docker daemon|transferring context:)\s+([0-9.]+)\s*([kKMG]?B)`)

// sentBytes reads the last context size a docker CLI printed ("Sending build context to Docker
// daemon 52.4MB", "transferring context: 4.19MB"); -1 when it printed none.
func sentBytes(out string) float64 {
	m := sizeRE.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return -1
	}
	last := m[len(m)-1]
	v, err := strconv.ParseFloat(last[1], 64)
	if err != nil {
		return -1
	}
	mult := map[string]float64{"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}[last[2]]
	return v * mult
}

// BenchmarkBuildVsPlainDocker compares `monoctx build app` with a plain
// `docker build -f apps/app/Dockerfile .` from the root of a generated monorepo of
// MONOCTX_BENCH_MB megabytes (default 50) in which the app and its lib are 4 MB, with the legacy
// builder and with BuildKit, every build with --no-cache. Besides ns/op it reports ctx-bytes/op:
// the context tar monoctx streams, or the context size the docker CLI reports sending ("Sending
// build context" for legacy, the last "transferring context" for BuildKit) in the first
// iteration: later BuildKit iterations send only metadata (incremental sync).
//
//	scripts/with-dockerd go test ./e2e/ -run '^$' -bench BuildVsPlainDocker -benchtime 3x
func BenchmarkBuildVsPlainDocker(b *testing.B) {
	clis := dockerCLIs(b)
	totalMB := 50
	if v := os.Getenv("MONOCTX_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 {
			b.Fatalf("MONOCTX_BENCH_MB=%q: want a whole number of megabytes, at least 5", v)
		}
		totalMB = n
	}
	repo := benchRepo(b, totalMB)
	ctxBytes := float64(len(monoctx(b, repo, "--repo", repo, "context", "apps/app")))
	for _, c := range clis {
		tag := newTag(b, "monoctx-e2e-bench", c.bin)
		b.Run(c.name+"/monoctx", func(b *testing.B) {
			env := monoctxEnv(b, c)
			for b.Loop() {
				r := runCmd(b, repo, env, nil, monoctxBin, "--repo", repo, "build", "apps/app", "-t", tag, "--no-cache")
				if r.code != 0 {
					b.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
				}
			}
			b.ReportMetric(ctxBytes, "ctx-bytes/op")
		})
		b.Run(c.name+"/plain", func(b *testing.B) {
			sent := -1.0
			for b.Loop() {
				args := []string{c.bin, "build", "--no-cache", "-t", tag, "-f", "apps/app/Dockerfile"}
				if c.buildkit() {
					args = append(args, "--progress=plain")
				}
				r := runCmd(b, repo, c.env, nil, append(args, ".")...)
				if r.code != 0 {
					b.Fatalf("docker build: exit %d\n%s", r.code, tail(r.stderr))
				}
				if sent < 0 { // the first, cold transfer; BuildKit sends only metadata afterwards
					sent = sentBytes(string(r.stdout) + string(r.stderr))
				}
			}
			b.ReportMetric(sent, "ctx-bytes/op")
		})
	}
}

// BenchmarkBuildKitFirstAndSecondBuild builds apps/app of the generated monorepo twice on the test
// buildkitd, from an empty cache: `monoctx build --builder buildkit` (the input set over the
// session) against a plain `buildctl build` of the repository root (what `docker buildx build -f
// apps/app/Dockerfile .` sends). It reports the context bytes BuildKit received and the wall time
// of the first (cold) and second (unchanged) build.
//
//	scripts/with-buildkitd go test ./e2e/ -run '^$' -bench BuildKitFirstAndSecond -benchtime 1x
func BenchmarkBuildKitFirstAndSecondBuild(b *testing.B) {
	addr, buildctl := requireBuildkitd(b)
	totalMB := 50
	if v := os.Getenv("MONOCTX_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 {
			b.Fatalf("MONOCTX_BENCH_MB=%q: want a whole number of megabytes, at least 5", v)
		}
		totalMB = n
	}
	repo := benchRepo(b, totalMB)
	builds := map[string]func() (sent float64, stderr []byte){
		"monoctx": func() (float64, []byte) {
			r := runCmd(b, repo, nil, nil, monoctxBin, "--repo", repo, "build", "apps/app", "--builder", "buildkit", "--addr", addr, "--progress", "plain")
			if r.code != 0 {
				b.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
			}
			m := summaryRE.FindSubmatch(r.stderr)
			if m == nil {
				b.Fatalf("no summary line:\n%s", tail(r.stderr))
			}
			v, _ := strconv.ParseFloat(string(m[2]), 64)
			return v * map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[string(m[3])], r.stderr
		},
		"plain": func() (float64, []byte) {
			r := runCmd(b, repo, nil, nil, buildctl, "--addr", addr, "build", "--frontend", "dockerfile.v0", "--progress", "plain",
				"--local", "context="+repo, "--local", "dockerfile="+filepath.Join(repo, "apps", "app"))
			if r.code != 0 {
				b.Fatalf("buildctl build: exit %d\n%s", r.code, tail(r.stderr))
			}
			return sentBytes(string(r.stderr)), r.stderr
		},
	}
	for _, name := range []string{"monoctx", "plain"} {
		b.Run(name, func(b *testing.B) {
			var first, second, firstS, secondS float64
			for b.Loop() {
				mustRun(b, repo, nil, nil, buildctl, "--addr", addr, "prune", "--all")
				t0 := time.Now()
				first, _ = builds[name]()
				t1 := time.Now()
				second, _ = builds[name]()
				firstS, secondS = t1.Sub(t0).Seconds(), time.Since(t1).Seconds()
			}
			b.ReportMetric(first, "first-bytes")
			b.ReportMetric(second, "second-bytes")
			b.ReportMetric(firstS, "first-s")
			b.ReportMetric(secondS, "second-s")
		})
	}
}
