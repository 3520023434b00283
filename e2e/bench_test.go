package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// benchRepo generates a monorepo of about totalMB megabytes: apps/app (2 MB) and libs/lib (2 MB)
// are the app's inputs; gosvc is a Go app whose Dockerfile copies the whole root (its closure,
// libs/golib with the 1 MB it embeds); the rest is filler in other apps, docs and node_modules-like trees of
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
	// A whole-context Go app: its Dockerfile copies the repository root, and monoctx narrows that
	// to the import closure of cmd/gosvc (libs/golib and the 1 MB it embeds); a plain build sends
	// everything.
	writeFile(b, filepath.Join(repo, "monoctx.yaml"), "apps:\n  gosvc:\n    dockerfile: cmd/gosvc/Dockerfile\n    context: .\n")
	writeFile(b, filepath.Join(repo, "go.mod"), "module example.com/bench\n\ngo 1.22\n")
	writeFile(b, filepath.Join(repo, "cmd/gosvc/main.go"), "package main\n\nimport _ \"example.com/bench/libs/golib\"\n\nfunc main() {}\n")
	writeFile(b, filepath.Join(repo, "cmd/gosvc/Dockerfile"), "FROM scratch\nCOPY . /src/\n")
	writeFile(b, filepath.Join(repo, "libs/golib/golib.go"), "package golib\n\nimport \"embed\"\n\n//go:embed assets\nvar Assets embed.FS\n")
	writeFile(b, filepath.Join(repo, "libs/unusedgo/unused.go"), "package unusedgo\n")
	for i := 0; i < 8; i++ {
		blob(filepath.Join(repo, "libs/golib/assets", strconv.Itoa(i)+".bin"), mb/8)
	}
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

// benchMB is MONOCTX_BENCH_MB, the size of the generated monorepo (default 50).
func benchMB(b *testing.B) int {
	b.Helper()
	totalMB := 50
	if v := os.Getenv("MONOCTX_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 {
			b.Fatalf("MONOCTX_BENCH_MB=%q: want a whole number of megabytes, at least 5", v)
		}
		totalMB = n
	}
	return totalMB
}

// summaryBytes sums the bytes of every "context transferred" summary line; -1 when there is none.
func summaryBytes(stderr []byte) float64 {
	ms := summaryRE.FindAllSubmatch(stderr, -1)
	if len(ms) == 0 {
		return -1
	}
	var n float64
	for _, m := range ms {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			return -1
		}
		n += v * map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[string(m[3])]
	}
	return n
}

// firstAndSecond runs a cold build (after reset) and the same build again, and reports the
// context bytes each transferred and their wall times.
func firstAndSecond(b *testing.B, reset func(), build func() float64) {
	b.Helper()
	var first, second, firstS, secondS float64
	for b.Loop() {
		reset()
		t0 := time.Now()
		first = build()
		t1 := time.Now()
		second = build()
		firstS, secondS = t1.Sub(t0).Seconds(), time.Since(t1).Seconds()
	}
	b.ReportMetric(first, "first-bytes")
	b.ReportMetric(second, "second-bytes")
	b.ReportMetric(firstS, "first-s")
	b.ReportMetric(secondS, "second-s")
}

// BenchmarkFirstAndSecondBuild builds one app of the generated monorepo twice from an empty
// cache, every way in, and reports the context bytes BuildKit received (or the tar streamed) and
// the wall time of the first (cold) and second (unchanged) build:
//
//   - app/…: apps/app, whose COPY sources are literal: `monoctx build --builder buildkit` on the
//     test buildkitd and a plain `buildctl build` of the root (what `docker buildx build -f
//     apps/app/Dockerfile .` sends); on the engine, `monoctx build` (the engine's BuildKit
//     session) and a plain `docker build` with BuildKit from the root; and the tar streams:
//     `monoctx build` with DOCKER_BUILDKIT=0 (the legacy builder) and `monoctx context | docker
//     build -` with BuildKit.
//   - gosvc/…: a Go app whose Dockerfile copies the whole root: monoctx sends its import closure,
//     a plain build the whole repository.
//
// Rows that need the engine skip without one.
//
//	scripts/with-dockerd scripts/with-buildkitd go test ./e2e/ -run '^$' -bench FirstAndSecond -benchtime 1x
func BenchmarkFirstAndSecondBuild(b *testing.B) {
	addr, buildctl := requireBuildkitd(b)
	repo := benchRepo(b, benchMB(b))
	pruneBK := func() { mustRun(b, repo, nil, nil, buildctl, "--addr", addr, "prune", "--all") }
	monoctxBK := func(name string) func() float64 {
		return func() float64 {
			r := runCmd(b, repo, nil, nil, monoctxBin, "--repo", repo, "build", name, "--builder", "buildkit", "--addr", addr, "--progress", "plain")
			if r.code != 0 {
				b.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
			}
			return summaryBytes(r.stderr)
		}
	}
	plainBK := func(dockerfileDir string) func() float64 {
		return func() float64 {
			r := runCmd(b, repo, nil, nil, buildctl, "--addr", addr, "build", "--frontend", "dockerfile.v0", "--progress", "plain",
				"--local", "context="+repo, "--local", "dockerfile="+filepath.Join(repo, dockerfileDir))
			if r.code != 0 {
				b.Fatalf("buildctl build: exit %d\n%s", r.code, tail(r.stderr))
			}
			return sentBytes(string(r.stderr))
		}
	}
	b.Run("app/monoctx-buildkitd", func(b *testing.B) { firstAndSecond(b, pruneBK, monoctxBK("apps/app")) })
	b.Run("app/plain-buildctl", func(b *testing.B) { firstAndSecond(b, pruneBK, plainBK("apps/app")) })
	b.Run("gosvc/monoctx-buildkitd", func(b *testing.B) { firstAndSecond(b, pruneBK, monoctxBK("gosvc")) })
	b.Run("gosvc/plain-buildctl", func(b *testing.B) { firstAndSecond(b, pruneBK, plainBK("cmd/gosvc")) })

	engine := func(b *testing.B) (bk dockerCLI, tag string, reset func()) {
		b.Helper()
		bk = dockerCLIs(b)[1]
		tag = newTag(b, "monoctx-e2e-bench", bk.bin)
		return bk, tag, func() {
			removeImage(b, bk.bin, tag)
			mustRun(b, repo, nil, nil, bk.bin, "builder", "prune", "-af")
		}
	}
	b.Run("app/monoctx-engine", func(b *testing.B) {
		_, tag, reset := engine(b)
		firstAndSecond(b, reset, func() float64 {
			r := runCmd(b, repo, []string{"DOCKER_BUILDKIT=1"}, nil, monoctxBin, "--repo", repo, "build", "apps/app", "-t", tag, "--progress", "plain")
			if r.code != 0 {
				b.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
			}
			return summaryBytes(r.stderr)
		})
	})
	b.Run("app/plain-docker-buildkit", func(b *testing.B) {
		bk, tag, reset := engine(b)
		firstAndSecond(b, reset, func() float64 {
			r := runCmd(b, repo, bk.env, nil, bk.bin, "build", "--progress=plain", "-t", tag, "-f", "apps/app/Dockerfile", ".")
			if r.code != 0 {
				b.Fatalf("docker build: exit %d\n%s", r.code, tail(r.stderr))
			}
			return sentBytes(string(r.stderr))
		})
	})
	ctxBytes := float64(len(monoctx(b, repo, "--repo", repo, "context", "apps/app")))
	b.Run("app/tar-legacy", func(b *testing.B) {
		_, tag, reset := engine(b)
		env := monoctxEnv(b, dockerCLIs(b)[0])
		firstAndSecond(b, reset, func() float64 {
			r := runCmd(b, repo, env, nil, monoctxBin, "--repo", repo, "build", "apps/app", "-t", tag)
			if r.code != 0 {
				b.Fatalf("monoctx build: exit %d\n%s", r.code, tail(r.stderr))
			}
			return ctxBytes
		})
	})
	b.Run("app/tar-buildkit", func(b *testing.B) {
		bk, tag, reset := engine(b)
		firstAndSecond(b, reset, func() float64 {
			r := runCmd(b, repo, bk.env, nil, "sh", "-c", `"$0" --repo "$1" context apps/app | "$2" build --progress=plain -t "$3" -f apps/app/Dockerfile -`,
				monoctxBin, repo, bk.bin, tag)
			if r.code != 0 {
				b.Fatalf("monoctx context | docker build -: exit %d\n%s", r.code, tail(r.stderr))
			}
			return ctxBytes
		})
	})
}

// bakeRepo is a git repository of 20 apps that copy libs/shared (1 MB) and their own 256 kB, 10
// apps that do not, and 100 MB nobody copies; its last commit changes libs/shared, so that
// exactly the 20 are affected.
func bakeRepo(b *testing.B) string {
	b.Helper()
	repo := b.TempDir()
	n := 0
	for i := range 20 {
		app := fmt.Sprintf("apps/a%02d", i)
		writeFile(b, filepath.Join(repo, app, "Dockerfile"), "FROM scratch\nCOPY libs/shared/ /lib/\nCOPY "+app+"/ /app/\n")
		for j := range 2 {
			randomFile(b, filepath.Join(repo, app, "src", strconv.Itoa(j)+".bin"), 128<<10, uint64(n))
			n++
		}
	}
	for i := range 10 {
		app := fmt.Sprintf("apps/b%02d", i)
		writeFile(b, filepath.Join(repo, app, "Dockerfile"), "FROM scratch\nCOPY "+app+"/ /app/\n")
		randomFile(b, filepath.Join(repo, app, "src", "0.bin"), 128<<10, uint64(n))
		n++
	}
	for j := range 8 {
		randomFile(b, filepath.Join(repo, "libs", "shared", strconv.Itoa(j)+".bin"), 128<<10, uint64(n))
		n++
	}
	for j := range 100 {
		randomFile(b, filepath.Join(repo, "assets", strconv.Itoa(j)+".bin"), 1<<20, uint64(n))
		n++
	}
	gitInit(b, repo)
	writeFile(b, filepath.Join(repo, "libs", "shared", "version.txt"), "2\n")
	git(b, repo, "add", "-A")
	git(b, repo, "commit", "-q", "-m", "change the shared lib")
	return repo
}

var bakeContextRE = regexp.MustCompile(`\[(\S+) internal\] load build context`)

var buildxDoneRE = regexp.MustCompile(`(?m)^#(\d+) transferring context: ([0-9.]+)([kMG]?B) .*done$`)

// buildxSent sums the final "transferring context" size of every vertex in a plain progress log.
func buildxSent(out string) float64 {
	last := map[string]float64{}
	for _, m := range buildxDoneRE.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return -1
		}
		last[m[1]] = v * map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m[3]]
	}
	var n float64
	for _, v := range last {
		n += v
	}
	return n
}

// BenchmarkBakeAffected builds the 20 affected apps of a generated repository on the test
// buildkitd from an empty cache: `monoctx bake --affected | buildx bake` (one bake, buildx's remote
// driver, the targets built concurrently, each context limited by the generated ignore files)
// against `monoctx build --affected --builder buildkit`, one app after the other (--jobs 1) and
// four at a time. It reports the total context bytes and the wall time of the whole job, cold and
// again unchanged.
//
//	scripts/with-buildkitd go test ./e2e/ -run '^$' -bench BakeAffected -benchtime 1x
func BenchmarkBakeAffected(b *testing.B) {
	addr, buildctl := requireBuildkitd(b)
	buildx := os.Getenv("MONOCTX_BUILDX")
	if buildx == "" {
		unavailable(b, "MONOCTX_BUILDX is not set (scripts/with-buildkitd builds buildx)")
	}
	repo := bakeRepo(b)
	prune := func() { mustRun(b, repo, nil, nil, buildctl, "--addr", addr, "prune", "--all") }
	affected := []string{"--affected", "--base", "HEAD~1", "--head", "HEAD"}
	env := []string{"BUILDX_CONFIG=" + b.TempDir()}
	mustRun(b, repo, env, nil, buildx, "create", "--name", "monoctx-bench", "--driver", "remote", addr)
	b.Run("bake-buildx", func(b *testing.B) {
		firstAndSecond(b, prune, func() float64 {
			r := runCmd(b, repo, nil, nil, append(append([]string{monoctxBin, "bake"}, affected...), "--ignore", "write", "-o", "bake.json")...)
			if r.code != 0 {
				b.Fatalf("monoctx bake: exit %d\n%s", r.code, tail(r.stderr))
			}
			out := runCmd(b, repo, env, nil, buildx, "--builder", "monoctx-bench", "bake", "-f", "bake.json", "--progress", "plain")
			if out.code != 0 {
				b.Fatalf("buildx bake: exit %d\n%s", out.code, tail(out.stderr))
			}
			targets := map[string]bool{}
			for _, m := range bakeContextRE.FindAllStringSubmatch(string(out.stderr), -1) {
				targets[m[1]] = true
			}
			if len(targets) != 20 {
				b.Fatalf("buildx bake loaded the build contexts of %d targets, want the 20 affected apps':\n%s", len(targets), tail(out.stderr))
			}
			return buildxSent(string(out.stderr))
		})
	})
	for _, jobs := range []string{"1", "4"} {
		b.Run("monoctx-build-jobs-"+jobs, func(b *testing.B) {
			firstAndSecond(b, prune, func() float64 {
				r := runCmd(b, repo, nil, nil, append(append([]string{monoctxBin, "build"}, affected...),
					"--builder", "buildkit", "--addr", addr, "--progress", "plain", "--jobs", jobs)...)
				if r.code != 0 {
					b.Fatalf("monoctx build --affected: exit %d\n%s", r.code, tail(r.stderr))
				}
				if n := len(summaryRE.FindAll(r.stderr, -1)); n != 20 {
					b.Fatalf("monoctx built %d apps, want the 20 affected", n)
				}
				return summaryBytes(r.stderr)
			})
		})
	}
}
