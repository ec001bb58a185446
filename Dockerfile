# tim-emulator container image.
#
# Build stage: the official Rust image compiles a fully static binary (glibc, crt-static), so
# the final image is `scratch` plus that one file: about 10 MB, no shell, no package manager.
# Final stage: non-root (65532), listens on all interfaces through TIM_EMULATOR_LISTEN, exec-form
# ENTRYPOINT so SIGTERM from `docker stop` reaches the emulator, which then saves its state file.
#
#   docker build -t tim-emulator .
#   docker run -p 8269:8269 tim-emulator
#   docker run -p 8269:8269 -v tim-state:/data -e TIM_EMULATOR_STATE_FILE=/data/state.json tim-emulator

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src

# Dependencies first, in their own layer: source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && target="$(uname -m)-unknown-linux-gnu" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" \
 && rm -rf src

COPY src ./src
# COPY keeps the context's mtimes, which may be older than the placeholder build: touch so cargo
# rebuilds the crate itself.
RUN touch src/main.rs src/lib.rs \
 && target="$(uname -m)-unknown-linux-gnu" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" \
 && mkdir -p /out/data \
 && cp "target/$target/release/tim-emulator" /out/tim-emulator \
 && /out/tim-emulator --version

FROM scratch
COPY --from=build /out/tim-emulator /usr/local/bin/tim-emulator
# /data is where a state file goes; owned by the runtime user so a named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV TIM_EMULATOR_LISTEN=0.0.0.0:8269
EXPOSE 8269
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/tim-emulator", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tim-emulator"]
