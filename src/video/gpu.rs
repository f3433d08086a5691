//! `--video-gpu-synthesis`: frames drawn by a small NVRTC kernel (see `kernel.rs`) and copied
//! back to host memory for the encoder. The frames equal the CPU path's bit for bit.
//!
//! cudarc loads libcuda and libnvrtc at run time and panics when they are missing, so both are
//! probed first and a missing one is a one-line error, never a panic.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg};

use super::kernel;
use super::synth::YuvFrame;
use super::VideoError;
use crate::config::SynthType;

/// Checks that the CUDA driver and NVRTC libraries can be loaded, before cudarc touches them.
pub fn driver_check() -> Result<(), VideoError> {
    // SAFETY: these only try to dlopen the libraries by name; no CUDA symbol is called.
    let driver = unsafe { cudarc::driver::sys::is_culib_present() };
    if !driver {
        return Err(VideoError::GpuUnavailable {
            missing: "the CUDA driver (libcuda.so), not found".into(),
        });
    }
    // SAFETY: as above.
    let nvrtc = unsafe { cudarc::nvrtc::sys::is_culib_present() };
    if !nvrtc {
        return Err(VideoError::GpuUnavailable {
            missing: "NVRTC (libnvrtc.so, from the CUDA toolkit), not found".into(),
        });
    }
    Ok(())
}

fn gpu_err(step: &'static str) -> impl Fn(cudarc::driver::DriverError) -> VideoError {
    move |e| VideoError::Gpu {
        step,
        message: e.to_string(),
    }
}

/// The compiled kernel on device 0, shared by every rayon worker (cudarc binds the context to
/// whichever thread uses it).
pub struct GpuSynth {
    stream: Arc<CudaStream>,
    function: CudaFunction,
}

impl GpuSynth {
    /// Loads the driver, compiles the kernel with NVRTC and loads it on device 0.
    pub fn new() -> Result<Self, VideoError> {
        driver_check()?;
        let ctx = CudaContext::new(0).map_err(|e| VideoError::GpuUnavailable {
            missing: format!("a CUDA device (device 0 would not open: {e})"),
        })?;
        let ptx = cudarc::nvrtc::compile_ptx(kernel::source()).map_err(|e| VideoError::Gpu {
            step: "compiling the frame kernel with NVRTC",
            message: e.to_string(),
        })?;
        let module = ctx
            .load_module(ptx)
            .map_err(gpu_err("loading the kernel"))?;
        let function = module
            .load_function(kernel::ENTRY)
            .map_err(gpu_err("finding the kernel"))?;
        Ok(Self {
            stream: ctx.default_stream(),
            function,
        })
    }

    /// Draws one frame on the GPU and copies it back.
    pub fn render(
        &self,
        kind: SynthType,
        seed: u64,
        frame: u32,
        width: u32,
        height: u32,
    ) -> Result<YuvFrame, VideoError> {
        let len = YuvFrame::len_for(width, height);
        let mut out = self
            .stream
            .alloc_zeros::<u8>(len)
            .map_err(gpu_err("allocating a frame"))?;
        let config = LaunchConfig {
            grid_dim: (width.div_ceil(16), height.div_ceil(16), 1),
            block_dim: (16, 16, 1),
            shared_mem_bytes: 0,
        };
        let kind_id = kind.id();
        let mut launch = self.stream.launch_builder(&self.function);
        launch
            .arg(&mut out)
            .arg(&kind_id)
            .arg(&seed)
            .arg(&frame)
            .arg(&width)
            .arg(&height);
        // SAFETY: the arguments match the kernel's signature (u8*, u32, u64, u32, u32, u32) and
        // `out` holds the whole frame the guarded threads write into.
        unsafe { launch.launch(config) }.map_err(gpu_err("launching the kernel"))?;
        let data = self
            .stream
            .memcpy_dtov(&out)
            .map_err(gpu_err("copying a frame back"))?;
        Ok(YuvFrame {
            width,
            height,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::synth::render_frame;

    #[test]
    fn gpu_frames_match_cpu_frames_or_the_missing_driver_is_named() {
        match GpuSynth::new() {
            Err(e @ VideoError::GpuUnavailable { .. }) => {
                let text = e.to_string();
                eprintln!("note: no CUDA here, GPU synthesis not run: {text}");
                assert!(text.starts_with("GPU video synthesis needs "), "{text}");
                assert!(text.ends_with("; drop --video-gpu-synthesis"), "{text}");
            }
            Err(e) => panic!("CUDA is present but the kernel failed: {e}"),
            Ok(gpu) => {
                for kind in [
                    SynthType::MovingShapes,
                    SynthType::GridClock,
                    SynthType::Noise,
                ] {
                    for frame in [0, 7, 61] {
                        let cpu = render_frame(kind, 42, frame, 96, 64);
                        let dev = gpu.render(kind, 42, frame, 96, 64).unwrap();
                        assert_eq!(cpu, dev, "{kind:?} frame {frame}");
                    }
                }
            }
        }
    }

    #[test]
    fn missing_driver_message_is_the_documented_line() {
        let e = VideoError::GpuUnavailable {
            missing: "the CUDA driver (libcuda.so), not found".into(),
        };
        assert_eq!(
            e.to_string(),
            "GPU video synthesis needs the CUDA driver (libcuda.so), not found; drop --video-gpu-synthesis"
        );
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            assert_eq!(driver_check().unwrap_err().to_string(), e.to_string());
        }
    }
}
