# gainstage: the two commands of the README, on a fresh Debian 12 machine.
#   make demo   install what is missing, build, render the demo material through every preset
#   make check  the same set-up, then every test (release build with -Werror, and ASan+UBSan)
# Also: make build, make bench, make install [PREFIX=/usr/local] [DESTDIR=...], make clean.

PREFIX ?= /usr/local
BUILD ?= build
SAN_BUILD ?= build-san
MESON_FLAGS ?=

# Debian packages the build and the tests need (node and npm for the reports' browser test:
# tools/install-node-deps.sh, which also installs playwright-core into $(BUILD)/browser).
DEPS = gcc pkg-config meson ninja-build libsndfile1-dev libfftw3-dev ngspice sox time \
  liblilv-dev libcairo2-dev libjansson-dev libfontconfig-dev libebur128-dev \
  jackd2 libjack-jackd2-dev pipewire pipewire-jack wireplumber liblo-dev libwebsockets-dev lv2-dev lilv-utils sordi jalv ardour procps swh-lv2 groff-base \
  chromium

.PHONY: all deps build demo check test bench fuzz install uninstall clean format lint

all: build

deps:
	@sh tools/install-deps.sh $(DEPS)
	@sh tools/install-node-deps.sh $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) --werror $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(SAN_BUILD)/build.ninja:
	meson setup $(SAN_BUILD) --werror -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
	  -Db_lundef=false $(MESON_FLAGS)

demo: build
	sh tools/demo.sh $(BUILD) demo-out

check: build $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD)
	meson test -C $(BUILD) --print-errorlogs
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	  GS_BROWSER_DIR=$(abspath $(BUILD))/browser meson test -C $(SAN_BUILD) --print-errorlogs
	@echo "make check: all tests passed (release and sanitizer builds)"

test: check

bench: build
	sh bench/run.sh $(BUILD)

# Every fuzz target for FUZZ_SECONDS each (tools/fuzz.sh; clang's libFuzzer and sanitizers).
FUZZ_SECONDS ?= 600
fuzz: deps
	sh tools/fuzz.sh $(FUZZ_SECONDS)

install: build
	DESTDIR=$(DESTDIR) meson install -C $(BUILD)

uninstall:
	ninja -C $(BUILD) uninstall

format:
	clang-format -i include/gainstage/*.h src/*.c src/*.h cli/*.c cli/*.h common/*.c common/*.h common/tests/*.c measure/*.c measure/*.h \
	  measure/tests/*.c live/*.c live/*.h live/tests/*.c tests/*.c tests/*.h bench/*.c tools/*.c \
	  lv2/*.c lv2/*.h lv2/tests/*.c lv2/bench/*.c

lint:
	cppcheck --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --std=c11 -I include -I src -I lv2 -I cli -I measure -I live -I common -q src cli common measure live lv2

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz demo-out
