# Devices for the MQTT link's tests, made with the PyPI library ha-mqtt-discoverable (pinned in
# scripts/test): a light, a switch, a lock and a temperature sensor on one MQTT client, as a
# program that bridges its devices to Home Assistant would run them. Usage:
#   python devices.py HOST PORT DISCOVERY_PREFIX STATE_PREFIX
# Prints `ready` once announced and listening for commands, then `command <entity> <payload>`
# for each command it carries out (publishing the new state, as a real device does). Reads
# lines on stdin: `sensor <value>`, `offline`/`online` (the light's availability),
# `delete <entity>` (empties its retained config), `quit` (clears what it retained and leaves),
# `crash` (leaves without a word: the broker publishes the light's last will, offline).
import json
import os
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from ha_mqtt_discoverable import DeviceInfo, Settings
from ha_mqtt_discoverable.sensors import (Light, LightInfo, Lock, LockInfo, Sensor, SensorInfo,
                                          Switch, SwitchInfo)
from ha_mqtt_discoverable.utils import clean_string

host, port, discovery_prefix, state_prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def say(line):
    print(line, flush=True)


device = DeviceInfo(name="Posey Test Rig", identifiers="posey-test-rig", manufacturer="Posey")
light_topic = f"{state_prefix}/light/{clean_string(device.name)}/{clean_string('Desk lamp')}"

client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                     client_id=f"devices-{os.getpid()}")
# The library sets a last will only on clients it makes; this one is ours.
client.will_set(f"{light_topic}/availability", "offline", retain=True)
connected = threading.Event()
subscribed = threading.Semaphore(0)
client.on_connect = lambda *args: connected.set()
client.on_subscribe = lambda *args: subscribed.release()
client.connect(host, port)
client.loop_start()
if not connected.wait(10):
    sys.exit("could not connect to the broker")

mqtt_settings = Settings.MQTT(client=client, discovery_prefix=discovery_prefix,
                              state_prefix=state_prefix)
entities = {}


def on_light(_client, _userdata, message):
    payload = message.payload.decode()
    say(f"command light {payload}")
    command = json.loads(payload)
    if command.get("state") == "OFF":
        entities["light"].off()
    elif "brightness" in command:
        entities["light"].brightness(command["brightness"])
    else:
        entities["light"].on()


def on_switch(_client, _userdata, message):
    payload = message.payload.decode()
    say(f"command switch {payload}")
    entities["switch"].on() if payload == "ON" else entities["switch"].off()


def on_lock(_client, _userdata, message):
    payload = message.payload.decode()
    say(f"command lock {payload}")
    entities["lock"].locked() if payload == "LOCK" else entities["lock"].unlocked()


entities["light"] = Light(Settings(mqtt=mqtt_settings, manual_availability=True, entity=LightInfo(
    name="Desk lamp", unique_id="posey_test_desk_lamp", device=device, brightness=True)),
    on_light, retain=True)
entities["switch"] = Switch(Settings(mqtt=mqtt_settings, entity=SwitchInfo(
    name="Coffee maker", unique_id="posey_test_coffee", device=device)), on_switch, retain=True)
entities["lock"] = Lock(Settings(mqtt=mqtt_settings, entity=LockInfo(
    name="Front door", unique_id="posey_test_front_door", device=device)), on_lock, retain=True)
entities["sensor"] = Sensor(Settings(mqtt=mqtt_settings, entity=SensorInfo(
    name="Living room temperature", unique_id="posey_test_lr_temp", device=device,
    device_class="temperature", unit_of_measurement="°C")), retain=True)

# Three entities subscribe to their command topics: wait for the broker's three SUBACKs.
for _ in range(3):
    if not subscribed.acquire(timeout=10):
        sys.exit("the broker did not acknowledge a command subscription")

for entity in entities.values():
    entity.write_config()
entities["light"].set_availability(True)
entities["light"].off()
entities["switch"].off()
entities["lock"].locked()
entities["sensor"].set_state(21.5)
say("ready")

for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "sensor":
        entities["sensor"].set_state(float(words[1]))
    elif words[0] == "offline":
        entities["light"].set_availability(False)
    elif words[0] == "online":
        entities["light"].set_availability(True)
    elif words[0] == "delete":
        entities[words[1]].delete()
    elif words[0] == "crash":
        os._exit(3)
    elif words[0] == "quit":
        break
    say(f"done {line.strip()}")

# Leave nothing retained behind on a shared broker.
for entity in entities.values():
    for topic in (entity.config_topic, entity.state_topic, f"{light_topic}/availability"):
        client.publish(topic, "", retain=True).wait_for_publish(5)
client.disconnect()
client.loop_stop()
say("bye")
