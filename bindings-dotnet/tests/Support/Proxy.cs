// A TCP proxy between a client and the hub's MQTT port (TLS passes through untouched), for
// S19: it can hold back what the hub sends (the client never sees its PUBACKs) and cut every
// connection, so the client reconnects with publishes still unacknowledged.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeModule.Tests
{
    internal sealed class Proxy : IDisposable
    {
        private readonly TcpListener listener;
        private readonly int upstreamPort;
        private readonly object gate = new object();
        private readonly List<TcpClient> open = new List<TcpClient>();
        private volatile bool holdDownstream;
        private volatile bool stopped;

        internal Proxy(int upstreamPort)
        {
            this.upstreamPort = upstreamPort;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Task.Run(AcceptLoop);
        }

        internal int Port { get { return ((IPEndPoint)listener.LocalEndpoint).Port; } }

        /// <summary>While true, bytes from the hub are read and dropped (the connection is cut before it is released).</summary>
        internal void HoldDownstream(bool hold)
        {
            holdDownstream = hold;
        }

        /// <summary>Closes every proxied connection (both sides).</summary>
        internal void Cut()
        {
            TcpClient[] all;
            lock (gate)
            {
                all = open.ToArray();
                open.Clear();
            }
            foreach (TcpClient c in all)
            {
                c.Close();
            }
        }

        private async Task AcceptLoop()
        {
            while (!stopped)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                }
                catch (Exception) when (stopped)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }
                var upstream = new TcpClient();
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, upstreamPort).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    client.Close();
                    upstream.Close();
                    continue;
                }
                lock (gate)
                {
                    open.Add(client);
                    open.Add(upstream);
                }
                Task up = Pump(client, upstream, false);
                Task down = Pump(upstream, client, true);
                _ = Task.WhenAny(up, down).ContinueWith(_ =>
                {
                    client.Close();
                    upstream.Close();
                }, TaskScheduler.Default);
            }
        }

        private async Task Pump(TcpClient from, TcpClient to, bool downstream)
        {
            var buffer = new byte[16384];
            try
            {
                NetworkStream input = from.GetStream();
                NetworkStream output = to.GetStream();
                while (true)
                {
                    int n = await input.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }
                    if (downstream && holdDownstream)
                    {
                        continue;
                    }
                    await output.WriteAsync(buffer, 0, n).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is System.IO.IOException || e is ObjectDisposedException ||
                e is SocketException || e is InvalidOperationException)
            {
                // The connection was cut or closed.
            }
        }

        public void Dispose()
        {
            stopped = true;
            listener.Stop();
            Cut();
        }
    }
}
