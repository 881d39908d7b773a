-- gainstage.lv2 inside Ardour 7, headless (ardour7-lua), run by lv2/tests/hosts.sh ardour.
-- Environment: GS_SESSION_DIR (a new folder), GS_LATENCY (the model's latency in samples).
-- A session on Ardour's dummy backend (its "Sine Wave" capture ports as the source), one mono
-- audio track monitoring its input, the mono plugin as the track's first processor. Ardour runs
-- the plugin in its process thread; the plugin's meter ports, read back through Ardour, must show
-- the gain the settings ask for, first from the LV2 preset "clean" loaded by Ardour, then after a
-- parameter change through Ardour's automation control. Prints "ok: ..." / "FAIL: ..." lines.

local uri = "http://gainstage.invalid/lv2/mono"
local dir = os.getenv("GS_SESSION_DIR")
local latency = tonumber(os.getenv("GS_LATENCY"))

local function check(ok, what)
  print((ok and "ok: " or "FAIL: ") .. what)
end

-- Release builds of Ardour hide the dummy backend; it needs no sound card and no server.
ARDOUR.config():set_hide_dummy_backend(false)
local be = AudioEngine:set_backend("None (Dummy)", "", "")
check(not be:isnil(), "dummy backend selected")
be:set_device_name("Sine Wave")
be:set_sample_rate(48000)
check(AudioEngine:start(false) == 0, "audio engine started")

local s = create_session(dir, "gainstage", 48000)
check(s ~= nil, "session created in " .. dir)

local tl = Session:new_audio_track(1, 1, nil, 1, "gs", ARDOUR.PresentationInfo.max_order,
  ARDOUR.TrackMode.Normal, true)
local t = tl:front()
-- Hear the input while the transport is stopped, so the track (and the plugin) processes it.
t:monitoring_control():set_value(ARDOUR.MonitorChoice.MonitorInput,
  PBD.GroupControlDisposition.NoGroup)

local p = ARDOUR.LuaAPI.new_plugin(Session, uri, ARDOUR.PluginType.LV2, "")
check(not p:isnil(), "plugin " .. uri .. " found by Ardour")
if p:isnil() then return end
check(t:add_processor_by_index(p, 0, nil, true) == 0, "plugin added to the track")
local plug = p:to_insert():plugin(0)

-- Ardour numbers control parameters without the audio ports (2 in the mono plugin).
local function param(label)
  for i = 0, plug:parameter_count() - 1 do
    if plug:parameter_label(i) == label then return i - 2 end
  end
  return -1
end
local c_lat, c_in, c_out, c_gain = param("Latency"), param("Input peak"), param("Output peak"),
  param("Mic gain")
local function get(c) return ARDOUR.LuaAPI.get_processor_param(p, c, true) end

check(p:signal_latency() == latency,
  string.format("Ardour sees the plugin's latency: %d samples (model: %d)", p:signal_latency(),
    latency))
check(get(c_lat) == latency, "latency port read through Ardour: " .. tostring(get(c_lat)))

-- The LV2 preset "clean" (30 dB), loaded by Ardour from the generated presets.ttl.
local pr = plug:preset_by_uri("http://gainstage.invalid/lv2/preset/clean")
check(pr ~= nil and pr.valid, "preset 'clean' known to Ardour")
ARDOUR.LuaAPI.set_processor_param(p, c_gain, 55)
if pr ~= nil and pr.valid then plug:load_preset(pr) end
os.execute("sleep 1")
check(t:input():audio(0):connected(), "track input connected to the dummy capture port")
local g, pin, pout = get(c_gain), get(c_in), get(c_out)
print(string.format("  preset clean: gain %.1f dB, peak in %.2f dBFS, peak out %.2f dBFS", g, pin,
  pout))
check(g == 30, "preset set the gain to 30 dB")
check(pin > -60, "signal reaches the plugin")
-- 30 dB with -20 dBu input and +18 dBu output calibration: out = in + 30 - 20 - 18 = in - 8 dB.
-- Tolerance 0.1 dB: the two meters are read one after the other, possibly from different process
-- cycles, and each is the largest sample of a sampled sine (up to 0.02 dB under its crest at
-- 1 kHz / 48 kHz) held with the PPM fall.
check(math.abs((pout - pin) + 8.0) < 0.1, string.format("gain through Ardour %.3f dB (expect -8)",
  pout - pin))

-- A parameter change through Ardour (the meter rises at once; the gain glides in 10 ms).
ARDOUR.LuaAPI.set_processor_param(p, c_gain, 40)
os.execute("sleep 1")
pin, pout = get(c_in), get(c_out)
print(string.format("  gain 40 dB: peak in %.2f dBFS, peak out %.2f dBFS", pin, pout))
check(math.abs((pout - pin) - 2.0) < 0.1, string.format("gain through Ardour %.3f dB (expect +2)",
  pout - pin))
-- Ardour's own measurement of the track's output (its peak meter, after the plugin and a 0 dB
-- fader) against the level the settings ask for: the dummy input's peak (read by the plugin's
-- input meter) + 2 dB.
local am = t:peak_meter():meter_level(0, ARDOUR.MeterType.MeterPeak)
print(string.format("  Ardour's track meter: %.2f dBFS", am))
check(math.abs(am - (pin + 2.0)) < 0.1, string.format("Ardour's track meter %.3f dBFS, expected %.3f",
  am, pin + 2.0))

-- A model's own plugin (GS_MODEL_URI, latency GS_MODEL_LATENCY) after the strip: Ardour sees its
-- own latency, its controls by the command line's names, and its presets (preset/MODEL/NAME).
local muri, mlat = os.getenv("GS_MODEL_URI"), tonumber(os.getenv("GS_MODEL_LATENCY"))
local mp = ARDOUR.LuaAPI.new_plugin(Session, muri, ARDOUR.PluginType.LV2, "")
check(not mp:isnil() and t:add_processor_by_index(mp, 1, nil, true) == 0,
  "model plugin " .. tostring(muri) .. " added after the strip")
local mplug = (not mp:isnil()) and mp:to_insert():plugin(0) or nil
check(mplug ~= nil and mp:signal_latency() == mlat,
  string.format("Ardour sees the model plugin's latency: %d (model: %d)",
    mplug and mp:signal_latency() or -1, mlat))
local mpr = mplug and mplug:preset_by_uri(os.getenv("GS_MODEL_PRESET")) or nil
check(mpr ~= nil and mpr.valid, "model plugin's preset " .. tostring(os.getenv("GS_MODEL_PRESET")) .. " known to Ardour")
-- (parameter_count() counts the 2 audio ports too, see param() above)
local mctl = mplug and mplug:parameter_count() - 2 or -1
check(mctl == tonumber(os.getenv("GS_MODEL_CONTROLS")),
  "model plugin's control count " .. mctl .. " (lv2info: " .. tostring(os.getenv("GS_MODEL_CONTROLS")) .. ")")

check(Session:save_state("", false, false, false, false, false) == 0, "session saved")
-- Release every Ardour object this script holds (shared pointers inside Lua values) while the
-- session still exists: collected later, at interpreter exit, their destructors would run after
-- Ardour's own clean-up (with MALLOC_PERTURB_ set, as meson test does, that crashed every time).
-- Then stop the engine, so nothing processes while the session goes.
mpr, mplug, mp = nil, nil, nil
pr, plug, p, t, tl, s = nil, nil, nil, nil, nil, nil
collectgarbage()
collectgarbage()
AudioEngine:stop(false)
close_session()
