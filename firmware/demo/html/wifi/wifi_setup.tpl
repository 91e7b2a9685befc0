<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>MeterLogger wifi setup</title></head>
<body>
<h1>Wifi setup</h1>
<form method="post" action="setup.cgi">
<p><label>Network <input name="essid"></label></p>
<p><label>Password <input name="passwd" type="password"></label></p>
<p><label>MQTT host <input name="mqtthost"></label></p>
<p><input type="submit" value="Connect"></p>
</form>
<p>Networks: %aplist%</p>
</body>
</html>
